"""Code written for Prefect runs with `prefect` renamed to `jupyter_orch`: the client it reads runs
with (`get_client()` as Prefect's, objects with Prefect's attribute names), the task engine entry
points, settings objects, transactions and lock managers, awaited state results."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from jupyter_orch import flow, tags, task
from jupyter_orch.client.orchestration import PrefectClient, SyncPrefectClient, get_client
from jupyter_orch.client.schemas.filters import LogFilter, LogFilterFlowRunId
from jupyter_orch.client.schemas.objects import TaskRunResult
from jupyter_orch.futures import PrefectDistributedFuture
from jupyter_orch.logging import get_run_logger
from jupyter_orch.settings import (
    PREFECT_TASK_DEFAULT_RETRIES,
    PREFECT_TASKS_REFRESH_CACHE,
    temporary_settings,
)
from jupyter_orch.states import Completed
from jupyter_orch.task_engine import run_task_async, run_task_sync
from jupyter_orch.testing.utilities import exceptions_equal
from jupyter_orch.utilities.engine import get_state_for_result


def test_get_client_answers_prefects_two_clients(orch_env: str) -> None:
    assert isinstance(get_client(), PrefectClient)
    assert isinstance(get_client(sync_client=True), SyncPrefectClient)


def test_read_task_run_has_prefects_attributes(orch_env: str) -> None:
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def pipeline() -> tuple:
        with tags("a"):
            first = double.submit(1)
            second = double(first, return_state=True)
        return first.state, second

    first, second = pipeline()
    run = get_client(sync_client=True).read_task_run(second.state_details.task_run_id)
    assert run.id == second.state_details.task_run_id and isinstance(run.id, uuid.UUID)
    assert run.flow_run_id == second.state_details.flow_run_id
    assert run.tags == ["a"] and run.state.is_completed() and run.run_count == 1
    assert run.task_inputs == {"x": [TaskRunResult(id=first.state_details.task_run_id)]}
    flow_run = get_client(sync_client=True).read_flow_run(run.flow_run_id)
    assert flow_run.state.is_completed() and flow_run.name


def test_async_client_reads_states_and_logs(orch_env: str) -> None:
    attempts = []

    @task(retries=1)
    def flaky() -> str:
        get_run_logger().info("attempt %d", len(attempts))
        attempts.append(1)
        if len(attempts) < 2:
            raise ValueError("first time")
        return "ok"

    @flow
    def pipeline() -> object:
        return flaky(return_state=True)

    state = pipeline()

    async def read() -> tuple:
        async with get_client() as client:
            states = await client.read_task_run_states(state.state_details.task_run_id)
            logs = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
            )
        return states, logs

    states, logs = asyncio.run(read())
    assert [s.name for s in states] == ["Pending", "Running", "Retrying", "Completed"]
    assert {"attempt 0", "attempt 1"} <= {log.message for log in logs}
    assert all(log.flow_run_id == state.state_details.flow_run_id for log in logs)


def test_state_result_is_awaited_in_async_code_and_plain_elsewhere() -> None:
    state = Completed()
    state.set_result(7)
    assert state.result() == 7

    async def read() -> int:
        return await state.result()

    assert asyncio.run(read()) == 7
    assert state.state_details.task_run_id is None


def test_create_run_then_run_it_with_the_task_engine(orch_env: str) -> None:
    @task(persist_result=True)
    def answer() -> int:
        return 42

    @task
    async def answer_async() -> int:
        return 43

    run = asyncio.run(answer.create_run())
    future = PrefectDistributedFuture(task_run_id=run.id)
    state = run_task_sync(answer, task_run=run, return_type="state")
    assert state.is_completed() and state.state_details.task_run_id == run.id
    assert future.result(timeout=10) == 42
    assert asyncio.run(run_task_async(answer_async)) == 43


def test_settings_objects_change_task_defaults(orch_env: str) -> None:
    calls = []

    with temporary_settings({PREFECT_TASK_DEFAULT_RETRIES: "2"}):

        @task
        def flaky() -> None:
            calls.append(1)
            raise ValueError

        assert PREFECT_TASK_DEFAULT_RETRIES.value() == 2

    assert PREFECT_TASK_DEFAULT_RETRIES.value() == 0
    with pytest.raises(ValueError):
        flow(lambda: flaky())()
    assert len(calls) == 3

    @task(cache_key_fn=lambda *_: "refresh-setting")
    def value(x: int) -> int:
        return x

    @flow
    def twice() -> tuple:
        return value(1, return_state=True), value(2, return_state=True)

    assert [s.name for s in twice()] == ["Completed", "Cached"]
    with temporary_settings({PREFECT_TASKS_REFRESH_CACHE: True}):
        assert [s.name for s in twice()] == ["Completed", "Completed"]


def test_get_state_for_result_names_the_run_that_returned_a_value(orch_env: str) -> None:
    @task
    def rows() -> list[int]:
        return [1, 2]

    @flow
    def pipeline() -> object:
        return get_state_for_result(rows())

    state = pipeline()
    assert state.is_completed() and state.state_details.task_run_id is not None


def test_exceptions_equal() -> None:
    assert exceptions_equal(ValueError("x"), ValueError("x"))
    assert not exceptions_equal(ValueError("x"), TypeError("x"))
    assert not exceptions_equal(ValueError("x"), ValueError("y"))


def test_two_reads_of_one_run_are_equal(orch_env: str) -> None:
    """As Prefect's models: runs compare by their fields, states by id and content (not identity)."""

    @flow
    def compared():
        return 1

    run_id = compared(return_state=True).state_details.flow_run_id
    with get_client(sync_client=True) as client:
        first, again = client.read_flow_run(run_id), client.read_flow_run(run_id)
        assert first == again and first.state is not again.state
        listed = [r for r in client.read_flow_runs() if r.id == run_id]
        assert listed == [first]
        other = client.read_flow_run(compared(return_state=True).state_details.flow_run_id)
    assert first != other


def test_create_flow_deployment_and_run_then_load_the_flow(orch_env: str, tmp_path) -> None:
    """Prefect's client calls a deployment's life begins with, and `load_flow_from_flow_run`
    loading the run's flow from the deployment's entrypoint (relative to its path)."""
    from jupyter_orch.flows import Flow, load_flow_from_flow_run

    (tmp_path / "pipeline.py").write_text(
        "from jupyter_orch import flow\n\n@flow\ndef pipeline(n: int = 1):\n    return n * 2\n"
    )

    async def main():
        async with get_client() as client:
            flow_id = await client.create_flow_from_name("pipeline")
            assert flow_id == await client.create_flow_from_name("pipeline")  # one per name
            assert isinstance(flow_id, uuid.UUID)
            deployment_id = await client.create_deployment(
                flow_id=flow_id, name="nightly", entrypoint="pipeline.py:pipeline", path=str(tmp_path),
                parameters={"n": 3}, tags=["etl"],
            )  # fmt: skip
            deployment = await client.read_deployment(deployment_id)
            assert (deployment.name, deployment.flow_id, deployment.tags) == ("nightly", flow_id, ["etl"])
            run = await client.create_flow_run_from_deployment(deployment_id, parameters={"n": 4})
            assert run.deployment_id == deployment_id and run.parameters == {"n": 4}
            assert run.state.is_scheduled()
            return await load_flow_from_flow_run(run), await load_flow_from_flow_run(client, run)

    loaded, again = asyncio.run(main())
    assert isinstance(loaded, Flow) and loaded.name == "pipeline" and loaded.fn(5) == 10
    assert again.name == "pipeline"


def test_task_version_and_the_links_between_a_subflow_and_its_stand_in(orch_env: str) -> None:
    """Prefect's records: a task run's task_version (a stand-in's is its flow's version); the
    subflow's states link to the stand-in task run, whose state names the subflow run."""

    @task(version="2.1")
    def versioned():
        return 1

    @flow(version="inner")
    def child():
        return versioned(return_state=True)

    @flow
    def parent():
        return child(return_state=True)

    child_state = parent()
    child_run_id = child_state.state_details.flow_run_id
    task_state = child_state.result()
    with get_client(sync_client=True) as client:
        assert client.read_task_run(task_state.state_details.task_run_id).task_version == "2.1"
        child_run = client.read_flow_run(child_run_id)
        stand_in = client.read_task_run(child_run.parent_task_run_id)
        assert stand_in.task_version == "inner"
        assert stand_in.state.state_details.child_flow_run_id == child_run_id
        assert child_state.state_details.task_run_id == stand_in.id
        states = client.read_flow_run_states(child_run_id)
        assert states and all(s.state_details.task_run_id == stand_in.id for s in states)
        assert child_run.state.state_details.task_run_id == stand_in.id
        plain = client.read_task_run(task_state.state_details.task_run_id)
        assert plain.state.state_details.child_flow_run_id is None
