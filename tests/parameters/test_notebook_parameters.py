"""Parameter schema from a `parameters` cell, and validation against JSON schemas."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest

from jupyter_orch.parameters import ParameterError, parameter_schema, validate_parameters

pytestmark = pytest.mark.timeout(30)

PARAMS = """\
from datetime import date, datetime
from typing import Literal, Optional

# how many rows to load
n = 5
rate = 0.5  # learning rate
name: str = "world"
verbose = False
columns = ["a", "b"]
options = {"depth": 2}
anything = None
limit: Optional[int] = None
retries: int | None = 3
day = date(2024, 1, 1)
other_day: date = "2024-01-02"
stamp = datetime(2024, 1, 1, 12, 30)
mode: Literal["fast", "slow"] = "fast"
ids: list[int] = []
required_value: float
"""


def notebook(source: str = PARAMS) -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def test_schema_types_defaults_and_descriptions():
    schema = parameter_schema(notebook())
    props = schema["properties"]
    assert schema["type"] == "object" and schema["required"] == ["required_value"]
    assert list(props) == [
        "n", "rate", "name", "verbose", "columns", "options", "anything", "limit", "retries",
        "day", "other_day", "stamp", "mode", "ids", "required_value",
    ]  # fmt: skip
    assert props["n"] == {
        "title": "n",
        "type": "integer",
        "default": 5,
        "description": "how many rows to load",
    }
    assert props["rate"]["type"] == "number" and props["rate"]["description"] == "learning rate"
    assert props["name"] == {"title": "name", "type": "string", "default": "world"}
    assert props["verbose"]["type"] == "boolean" and props["verbose"]["default"] is False
    assert props["columns"] == {"title": "columns", "type": "array", "default": ["a", "b"]}
    assert props["options"]["type"] == "object" and props["options"]["default"] == {"depth": 2}
    assert props["anything"] == {"title": "anything", "default": None}
    assert (
        props["limit"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
        and props["limit"]["default"] is None
    )
    assert (
        props["retries"]["anyOf"] == [{"type": "integer"}, {"type": "null"}]
        and props["retries"]["default"] == 3
    )
    assert props["day"] == {"title": "day", "type": "string", "format": "date", "default": "2024-01-01"}
    assert props["other_day"]["format"] == "date" and props["other_day"]["default"] == "2024-01-02"
    assert props["stamp"]["format"] == "date-time" and props["stamp"]["default"] == "2024-01-01T12:30:00"
    assert props["mode"]["enum"] == ["fast", "slow"]
    assert props["ids"] == {"title": "ids", "type": "array", "items": {"type": "integer"}, "default": []}
    assert "default" not in props["required_value"] and props["required_value"]["type"] == "number"


def test_schema_without_parameters_cell_and_never_executes():
    assert parameter_schema(nbformat.v4.new_notebook())["properties"] == {}
    # A side-effecting default must be described, not run.
    schema = parameter_schema(notebook("import os\npath = os.system('exit 3')\nk = 1"))
    assert schema["properties"]["path"] == {"title": "path"}
    assert schema["properties"]["k"]["default"] == 1


def test_schema_of_cell_with_magic():
    schema = parameter_schema(notebook("%load_ext autoreload\nalpha = 0.1  # step"))
    assert schema["properties"]["alpha"] == {
        "title": "alpha",
        "type": "number",
        "default": 0.1,
        "description": "step",
    }


def test_validate_coerces_and_checks():
    schema = parameter_schema(notebook())
    values = validate_parameters(
        schema,
        {
            "n": "7",
            "rate": 1,
            "verbose": "true",
            "limit": None,
            "retries": "4",
            "day": dt.date(2024, 3, 1),
            "stamp": "2024-03-01T10:00:00Z",
            "ids": [1, 2.0],
            "required_value": 2,
        },
    )
    assert values == {
        "n": 7, "rate": 1, "verbose": True, "limit": None, "retries": 4, "day": "2024-03-01",
        "stamp": "2024-03-01T10:00:00Z", "ids": [1, 2], "required_value": 2,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"n": "abc"}, "n", "parameter 'n': expected integer, got 'abc'"),
        ({"n": True}, "n", "parameter 'n': expected integer, got True"),
        ({"rate": "fast"}, "rate", "parameter 'rate': expected number, got 'fast'"),
        ({"name": 3}, "name", "parameter 'name': expected string, got 3"),
        ({"columns": "a,b"}, "columns", "parameter 'columns': expected array, got 'a,b'"),
        ({"ids": [1, "x"]}, "ids[1]", "parameter 'ids[1]': expected integer, got 'x'"),
        ({"options": [1]}, "options", "parameter 'options': expected object, got [1]"),
        ({"limit": "x"}, "limit", "parameter 'limit': expected integer or null, got 'x'"),
        ({"day": "2024-02-30"}, "day", "parameter 'day': expected string (date), got '2024-02-30'"),
        ({"mode": "medium"}, "mode", "parameter 'mode': expected one of 'fast', 'slow', got 'medium'"),
        ({"typo": 1}, "typo", "unknown parameter 'typo'"),
    ],
)
def test_validate_rejects_with_field_named(params, field, message):
    schema = parameter_schema(notebook())
    with pytest.raises(ParameterError) as info:
        validate_parameters(schema, {"required_value": 1.0, **params})
    assert info.value.field == field
    assert str(info.value).startswith(message)


def test_validate_missing_required():
    with pytest.raises(ParameterError, match="parameter 'required_value': missing required value"):
        validate_parameters(parameter_schema(notebook()), {})


def test_validate_general_pydantic_style_schema():
    """The shapes pydantic/Prefect produce for Python flows: $defs refs, nested objects, types lists."""
    schema = {
        "type": "object",
        "properties": {
            "color": {"$ref": "#/$defs/Color"},
            "point": {"$ref": "#/definitions/Point"},
            "tags": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "any_of_str_int": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "multi": {"type": ["integer", "null"]},
        },
        "required": ["color"],
        "$defs": {"Color": {"enum": ["red", "green"]}},
        "definitions": {
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x"],
                "additionalProperties": False,
            }
        },
    }
    ok = validate_parameters(
        schema,
        {"color": "red", "point": {"x": "1.5"}, "tags": ["a", 2], "any_of_str_int": "5", "multi": None},
    )
    assert ok == {"color": "red", "point": {"x": 1.5}, "tags": ["a", 2], "any_of_str_int": "5", "multi": None}
    with pytest.raises(ParameterError, match="'color': expected one of 'red', 'green'"):
        validate_parameters(schema, {"color": "blue"})
    with pytest.raises(ParameterError) as info:
        validate_parameters(schema, {"color": "red", "point": {"x": 1, "z": 2}})
    assert info.value.field == "point.z"
    with pytest.raises(ParameterError) as info:
        validate_parameters(schema, {"color": "red", "point": {"y": 1}})
    assert info.value.field == "point.x"
    assert validate_parameters({"type": "object", "additionalProperties": True}, {"k": 1}) == {"k": 1}
