"""Flow parameters: JSON schema from the signature, coercion, and clear validation errors."""

from __future__ import annotations

import pytest

from jupyter_orch import ParameterValidationError, flow, task
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.runner import run_deployment, to_deployment


@flow
def sized(n: int, ids: list[int] | None = None) -> int:
    """Deployed below: its signature's schema checks every run of the deployment."""
    return n


def test_bad_parameter_is_named_and_nothing_runs(records):
    ran = []

    @task
    def step():
        ran.append("task")

    @flow
    def typed(n: int, label: str = "x"):
        ran.append("flow")
        step()

    with pytest.raises(ParameterValidationError, match=r"parameter 'n': expected integer, got 'abc'") as err:
        typed("abc")
    assert err.value.parameter == "n"
    assert ran == []
    run = records.only_flow_run("typed")
    assert run["state_type"] == "FAILED" and "parameter 'n'" in run["state_message"]
    assert records.task_runs(run["id"]) == []
    state = typed(n="zz", return_state=True)
    assert state.is_failed() and ran == []
    with pytest.raises(ParameterValidationError, match="parameter 'n'"):
        state.result()


def test_values_are_coerced_and_schema_saved(records):
    seen = {}

    @flow
    def coerced(n: int, ratio: float = 0.5, tags: list[str] | None = None, plain=3):
        seen.update(n=n, ratio=ratio, tags=tags, plain=plain)
        return n * 2

    assert coerced("3", ratio="1.5") == 6
    assert seen == {"n": 3, "ratio": 1.5, "tags": None, "plain": 3}
    run = records.only_flow_run("coerced")
    assert run["parameters"] == {"n": 3, "ratio": 1.5, "tags": None, "plain": 3}
    schema = records.flow(run["flow_id"])["parameter_schema"]
    assert schema["type"] == "object" and schema["required"] == ["n"]
    props = schema["properties"]
    # titled by the name itself, as Prefect titles parameters
    assert props["n"]["type"] == "integer" and props["n"]["title"] == "n"
    assert props["ratio"]["default"] == 0.5 and props["plain"]["default"] == 3
    assert [props[k]["position"] for k in ("n", "ratio", "tags", "plain")] == [0, 1, 2, 3]


def test_untyped_flow_schema_without_pydantic_and_missing_argument(records):
    @flow
    def untyped(a, b=2):
        return a + b

    assert untyped.parameter_schema == {
        "title": "Parameters",
        "type": "object",
        "properties": {"a": {"title": "a", "position": 0}, "b": {"title": "b", "default": 2, "position": 1}},
        "required": ["a"],
    }
    with pytest.raises(ParameterValidationError, match="missing a required argument: 'a'"):
        untyped()


def test_validation_can_be_turned_off(records):
    @flow(validate_parameters=False)
    def lax(n: int):
        return n

    assert lax("7") == "7"


def test_deployment_runs_are_checked_against_the_flow_signature(records):
    dep_id = to_deployment(sized, "checked").apply()
    run = run_deployment("sized/checked", parameters={"n": "3", "ids": ["4"]}, timeout=0)
    assert records.flow_run(run.id)["parameters"] == {"n": 3, "ids": [4]}
    with pytest.raises(Invalid) as bad:  # refused before a run exists
        run_deployment("sized/checked", parameters={"n": 1, "ids": [1, "x"]}, timeout=0)
    assert bad.value.field == "parameters.ids[1]"
    assert bad.value.message == "parameter 'ids[1]': expected integer, got 'x'"
    with pytest.raises(Invalid, match="parameter 'n': missing required value"):
        run_deployment("sized/checked", parameters={}, timeout=0)
    assert len(records.flow_runs(deployment_id=dep_id)) == 1
