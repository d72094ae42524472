"""States as Prefect's: constructors a flow returns to set its end, returned futures and states
resolved by Prefect's rule, `return_state=True`, `result(raise_on_failure=...)`, awaitable results."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from jupyter_orch import flow, task
from jupyter_orch.exceptions import CancelledRun, CrashedRun, FailedRun
from jupyter_orch.states import Cancelled, Completed, Crashed, Failed, State, StateType, return_value_to_state


@task
def ok(x: int) -> int:
    return x


@task
def boom() -> None:
    raise ValueError("boom")


def test_returned_constructors_set_the_flow_end(records):
    @flow
    def completes():
        return Completed(message="all good", data=7)

    @flow
    def fails():
        return Failed(message="decided to fail")

    assert completes() == 7
    assert records.only_flow_run("completes")["state"]["message"] == "all good"
    with pytest.raises(FailedRun, match="decided to fail"):
        fails()
    state = fails(return_state=True)
    assert state.is_failed() and state.message == "decided to fail"
    assert isinstance(state.result(raise_on_failure=False), FailedRun)
    assert records.flow_runs(flow_name="fails")[0]["state_type"] == "FAILED"


def test_a_returned_failed_task_state_fails_the_flow(records):
    hooked = []

    @flow(on_failure=[lambda f, r, s: hooked.append(s.message)])
    def returns_task_state():
        return boom(return_state=True)

    state = returns_task_state(return_state=True)
    assert state.is_failed() and state.message == "1/1 states failed."
    inner = state.result(raise_on_failure=False)  # as Prefect: the task run's state it holds
    assert isinstance(inner, State) and inner.is_failed() and isinstance(inner.result(False), ValueError)
    with pytest.raises(ValueError, match="boom"):
        returns_task_state()
    assert hooked == ["1/1 states failed.", "1/1 states failed."]


def test_returned_futures_are_resolved_to_states(records):
    @flow
    def mixed():
        return [ok.submit(1), boom.submit()]

    @flow
    def all_ok():
        return ok.submit(1), ok.submit(2)

    state = mixed(return_state=True)
    assert state.is_failed() and state.message == "1/2 states failed."
    done = all_ok(return_state=True)
    assert done.is_completed() and done.message == "All states completed."
    first, second = done.result()
    assert isinstance(first, State) and first.result() == 1 and second.result() == 2


def test_a_returned_failed_state_is_retried(records):
    attempts = []

    @flow(retries=1)
    def flaky():
        attempts.append(1)
        return Failed(message="first time") if len(attempts) == 1 else Completed(message="second")

    assert flaky(return_state=True).message == "second"
    assert records.only_flow_run("flaky")["run_count"] == 2


def test_result_errors_by_state_type():
    assert isinstance(Crashed(message="c").result(raise_on_failure=False), CrashedRun)
    assert isinstance(Cancelled().result(raise_on_failure=False), CancelledRun)
    with pytest.raises(KeyError):
        Failed(data=KeyError("k")).result()
    assert return_value_to_state(5).result() == 5
    group = return_value_to_state([Completed(data=1), Cancelled()])
    assert group.type is StateType.CANCELLED and group.message == "1/2 states cancelled."


def test_results_are_awaitable_in_async_code(records):
    @task
    async def double(x: int) -> int:
        return 2 * x

    @flow
    async def async_flow() -> int:
        state = await double(4, return_state=True)
        fetched = await state.result(fetch=True)
        return fetched + await state.aresult()

    assert asyncio.run(async_flow()) == 16
    final = asyncio.run(async_flow(return_state=True))
    assert final.result() == 16


def test_task_run_and_state_ids_are_time_ordered_uuid7(records):
    """Prefect gives runs and states version-7 UUIDs (its TimeSeriesBaseModel): a later id sorts
    after an earlier one, so batches of new rows go to the end of the primary-key indexes. Flow
    run ids stay random (version 4): their run names come from their first characters."""

    @flow
    def three():
        return [ok(i, return_state=True) for i in range(3)]

    states = three()
    run_ids = [s.state_details.task_run_id for s in states]
    assert [uuid.UUID(str(i)).version for i in run_ids] == [7, 7, 7]
    assert [str(i) for i in run_ids] == sorted(str(i) for i in run_ids)
    for run_id in run_ids:
        ids = [row["id"] for row in records.task_run_states(run_id)]
        assert len(ids) == 3 and ids == sorted(ids)
        assert all(uuid.UUID(i).version == 7 for i in ids)
    flow_run = records.only_flow_run("three")
    assert uuid.UUID(flow_run["id"]).version == 4
