"""Flows as Prefect 3 defines them: option checks and defaults, Prefect's attribute names, and
subflows whose arguments come from task runs (resolved, and recorded on the stand-in task run)."""

from __future__ import annotations

import uuid

import pytest

from jupyter_orch import flow, task
from jupyter_orch.engine.flows import Flow
from jupyter_orch.task_runners import ThreadPoolTaskRunner
from jupyter_orch.utilities.annotations import allow_failure


def test_option_checks_and_defaults() -> None:
    with pytest.raises(TypeError, match="Expected string for flow parameter 'name'; got int instead"):
        Flow(fn=lambda: 1, name=1)
    with pytest.raises(TypeError, match="Perhaps you meant to call it"):
        Flow(fn=lambda: 1, name=lambda: "x")
    with pytest.raises(TypeError, match="Expected string or callable for 'flow_run_name'; got int"):
        Flow(fn=lambda: 1, flow_run_name=3)
    with pytest.raises(ValueError, match="not compatible with `validate_parameters`"):
        Flow(fn=lambda v__args: 1)
    assert Flow(fn=lambda v__args: 1, validate_parameters=False).should_validate_parameters is False

    @flow(result_serializer="json", timeout_seconds=5, task_runner=ThreadPoolTaskRunner)
    def f() -> None:
        pass

    assert f.persist_result is True and isinstance(f.task_runner, ThreadPoolTaskRunner)
    assert f.with_options(timeout_seconds=0).timeout_seconds is None
    assert f.with_options(persist_result=False).persist_result is False
    assert flow(lambda: 1).persist_result is None

    def done(*_: object) -> None:
        pass

    hooked = f.with_options(on_completion=[done])
    assert hooked.on_completion_hooks == [done] and hooked.on_failure_hooks == []


def test_subflow_arguments_from_task_runs_are_resolved_and_recorded(records) -> None:
    @task
    def produce(x: int) -> int:
        return x

    @task
    def fail() -> None:
        raise ValueError("no")

    @flow
    def child(x: int, y: int = 0) -> int:
        return x + y

    @flow
    def tolerant(x: object) -> object:
        return x

    @flow
    def parent() -> tuple:
        future = produce.submit(300)
        value = produce(400)
        state = child(future, y=value, return_state=True)
        failed = fail.submit()
        got = tolerant(allow_failure(failed), return_state=True)
        return state, future.state, got

    child_state, upstream_state, tolerant_state = parent()
    assert child_state.result() == 700 and isinstance(tolerant_state.result(), ValueError)
    stand_in = records.task_run(child_state.state_details.task_run_id)
    assert stand_in["task_key"] == "subflow:child"
    by_name = {t["name"]: t["id"] for t in records.task_runs(str(stand_in["flow_run_id"]))}
    assert stand_in["task_inputs"] == {
        "x": [{"input_type": "task_run", "id": str(upstream_state.state_details.task_run_id)}],
        "y": [{"input_type": "task_run", "id": by_name["produce-1"]}],
    }
    assert isinstance(child_state.state_details.task_run_id, uuid.UUID)


def test_a_subflow_waits_for_the_runs_of_wait_for(records) -> None:
    @task
    def slow_step() -> int:
        return 1

    @flow
    def after() -> str:
        return "ran"

    @flow
    def parent() -> tuple:
        upstream = slow_step.submit()
        state = after(wait_for=[upstream], return_state=True)
        return state, upstream.state

    state, upstream_state = parent()
    assert state.result() == "ran" and upstream_state.is_completed()
    stand_in = records.task_run(state.state_details.task_run_id)
    assert stand_in["task_inputs"] == {
        "wait_for": [{"input_type": "task_run", "id": str(upstream_state.state_details.task_run_id)}]
    }


def test_a_flow_that_returns_paused_has_no_result() -> None:
    from jupyter_orch.exceptions import PausedRun
    from jupyter_orch.states import Paused

    @flow
    def waits() -> object:
        return Paused()

    with pytest.raises(PausedRun, match="result is not available"):
        waits()
    assert waits(return_state=True).is_paused()
