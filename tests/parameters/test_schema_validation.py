"""Validation against stored schemas (jsonschema) and the table-driven coercion of typed-in strings."""

import datetime as dt
from typing import Annotated, Literal

import pytest
from pydantic import Field

from jupyter_orch.parameters import ParameterError, ParameterModel, validate_parameters


def etl(
    n: int,
    ids: list[int] | None = None,
    when: dt.date = dt.date(2024, 1, 1),
    mode: Literal["fast", "slow"] = "fast",
    limit: Annotated[int, Field(ge=1)] = 5,
    ratio: float = 0.5,
    dry: bool = False,
) -> None:
    """A flow's signature: its schema is what a Python deployment stores."""


SCHEMA = ParameterModel(etl).schema()


def test_strings_from_a_form_or_cli_are_coerced_by_type():
    values = validate_parameters(
        SCHEMA,
        {"n": "5", "ids": ["1", 2.0], "when": dt.date(2024, 2, 29)}
        | {"ratio": "2", "dry": "TRUE", "limit": "3"},
    )
    assert values == {"n": 5, "ids": [1, 2], "when": "2024-02-29", "ratio": 2, "dry": True, "limit": 3}
    assert isinstance(values["ratio"], int)  # "2" is an integral number; "2.0" stays a float
    assert validate_parameters(SCHEMA, {"n": 1, "ratio": "2.0"})["ratio"] == 2.0


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"n": "abc"}, "n", "parameter 'n': expected integer, got 'abc'"),
        ({"n": 1.5}, "n", "parameter 'n': expected integer, got 1.5"),
        ({"n": 1, "ids": [1, "x"]}, "ids[1]", "parameter 'ids[1]': expected integer, got 'x'"),
        ({"n": 1, "ids": "1,2"}, "ids", "parameter 'ids': expected array or null, got '1,2'"),
        ({"n": 1, "when": "2024-02-30"}, "when", "parameter 'when': expected string (date), got '2024-"),
        ({"n": 1, "mode": "medium"}, "mode", "parameter 'mode': expected one of 'fast', 'slow', got 'med"),
        ({"n": 1, "limit": 0}, "limit", "parameter 'limit': 0 is less than the minimum of 1"),
        ({"n": 1, "dry": "yes"}, "dry", "parameter 'dry': expected boolean, got 'yes'"),
        ({}, "n", "parameter 'n': missing required value"),
        ({"n": 1, "typo": 2}, "typo", "unknown parameter 'typo' (known parameters: dry, ids, limit"),
    ],
)
def test_errors_name_the_parameter_and_why(params, field, message):
    with pytest.raises(ParameterError) as info:
        validate_parameters(SCHEMA, params)
    assert info.value.field == field
    assert str(info.value).startswith(message), str(info.value)


def test_the_first_wrong_parameter_in_the_call_is_reported():
    with pytest.raises(ParameterError) as info:
        validate_parameters(SCHEMA, {"mode": "x", "n": "y"})
    assert info.value.field == "mode"
    with pytest.raises(ParameterError) as info:
        validate_parameters(SCHEMA, {"ratio": "r"})  # a wrong value before a missing one
    assert info.value.field == "ratio"


def test_long_values_are_shortened_in_messages():
    with pytest.raises(ParameterError) as info:
        validate_parameters(SCHEMA, {"n": "x" * 500})
    assert len(str(info.value)) < 120 and str(info.value).endswith("...")
