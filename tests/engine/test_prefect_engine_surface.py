"""Code written for Prefect's engine modules runs with `prefect` renamed to `jupyter_orch`:
`flow_engine.run_flow*` with parameters by name (and a run record made beforehand), crashes
worded as Prefect's, `concurrency(...)` blocks over global concurrency limits, flow run inputs, and the small
modules around them (sorting, tmpchdir, the development base path)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from unittest import mock

import pytest

import jupyter_orch
from jupyter_orch import flow, task
from jupyter_orch.client import get_client
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.client.schemas.actions import GlobalConcurrencyLimitCreate
from jupyter_orch.client.schemas.sorting import FlowRunSort
from jupyter_orch.concurrency.asyncio import concurrency as aconcurrency
from jupyter_orch.concurrency.sync import ConcurrencySlotAcquisitionError, concurrency
from jupyter_orch.context import FlowRunContext
from jupyter_orch.exceptions import ParameterTypeError
from jupyter_orch.flow_engine import FlowRunEngine, run_flow, run_flow_async, run_flow_sync
from jupyter_orch.input.actions import create_flow_run_input, delete_flow_run_input, read_flow_run_input
from jupyter_orch.utilities.callables import get_call_parameters
from jupyter_orch.utilities.filesystem import tmpchdir


def test_run_flow_sync_takes_parameters_by_name(records):
    @flow
    def bar(x: int, *rest, y: str = "a", **extra):
        return x, rest, y, extra

    parameters = get_call_parameters(bar.fn, ("4", 5), {"y": "b", "z": 1})
    assert run_flow_sync(bar, parameters=parameters) == (4, (5,), "b", {"z": 1})
    assert run_flow(bar, parameters={"x": 1}) == (1, (), "a", {})
    state = run_flow_sync(bar, parameters={"x": 2}, return_type="state")
    assert state.is_completed() and state.result() == (2, (), "a", {})
    assert [r["state_type"] for r in records.flow_runs(flow_name="bar")] == ["COMPLETED"] * 3


def test_run_flow_async_and_run_flow_of_an_async_flow(records):
    @flow
    async def double(n: int):
        return FlowRunContext.get().flow_run_id, 2 * n

    run_id, value = asyncio.run(run_flow(double, parameters={"n": "21"}))
    assert value == 42 and records.flow_run(run_id)["state_type"] == "COMPLETED"
    state = asyncio.run(run_flow_async(double, parameters={"n": 1}, return_type="state"))
    assert state.is_completed()


def test_run_flow_runs_the_record_it_is_given(records):
    @flow
    def named(who: str = "nobody"):
        return FlowRunContext.get().flow_run_id, who

    made = get_client().create_flow_run(flow_name="named", name="made-before", parameters={"who": "ann"})
    run_id, who = run_flow(named, flow_run=made)
    assert (run_id, who) == (made["id"], "ann")
    run = records.only_flow_run("named")
    assert run["name"] == "made-before" and run["state_type"] == "COMPLETED"


def test_invalid_parameters_fail_the_run_with_prefects_wording(records):
    @flow
    def typed(n: int):
        return n

    state = run_flow_sync(typed, parameters={"n": "FAIL!"}, return_type="state")
    assert state.is_failed()
    with pytest.raises(ParameterTypeError, match="Flow run received invalid parameters") as err:
        state.result()
    assert "parameter 'n': expected integer, got 'FAIL!'" in str(err.value)
    assert err.value.parameter == "n"
    assert records.only_flow_run("typed")["state_type"] == "FAILED"


def test_an_interrupt_before_the_body_crashes_the_recorded_run(records, monkeypatch):
    monkeypatch.setattr(FlowRunEngine, "begin_run", mock.MagicMock(side_effect=KeyboardInterrupt))
    ran = []

    @flow
    def never():
        ran.append(1)

    with pytest.raises(KeyboardInterrupt):
        never()
    assert ran == []
    assert records.only_flow_run("never")["state_type"] == "CRASHED"


def test_concurrency_blocks_hold_named_limits(records):
    SyncPrefectClient().create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="db", limit=1))
    inside, peak, lock = [], [], threading.Lock()

    def work():
        with concurrency("db"):
            with lock:
                inside.append(1)
                peak.append(len(inside))
            time.sleep(0.05)
            with lock:
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(peak) == 1 and len(peak) == 3
    # a name without a limit never waits; a full limit waits until its timeout
    with concurrency(["db", "free"]), pytest.raises(TimeoutError), concurrency("db", timeout_seconds=0.2):
        pass
    with pytest.raises(ConcurrencySlotAcquisitionError, match="created"), concurrency("x", strict=True):
        pass
    assert SyncPrefectClient().read_global_concurrency_limit_by_name("db").active_slots == 0


def test_async_concurrency_frees_its_slot_however_the_block_ends(records):
    SyncPrefectClient().create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name="api", limit=1))

    async def main():
        with pytest.raises(RuntimeError):
            async with aconcurrency("api"):
                raise RuntimeError("boom")
        async with aconcurrency("api", timeout_seconds=1):
            return "free again"

    assert asyncio.run(main()) == "free again"


def test_flow_run_inputs_round_trip(records):
    @flow
    def with_inputs():
        create_flow_run_input("answer", {"x": 42})
        got = read_flow_run_input("answer")
        delete_flow_run_input("answer")
        return got, read_flow_run_input("answer")

    assert with_inputs() == ({"x": 42}, None)


def test_small_prefect_modules(tmp_path):
    before = os.getcwd()
    with tmpchdir(tmp_path) as where:
        assert os.getcwd() == where == str(tmp_path)
    assert os.getcwd() == before
    assert FlowRunSort.EXPECTED_START_TIME_ASC == "EXPECTED_START_TIME_ASC"
    assert (jupyter_orch.__development_base_path__ / "jupyter_orch" / "__init__.py").is_file()


def test_prefect_client_creates_and_lists_flow_runs(records):
    from jupyter_orch.client.orchestration import SyncPrefectClient
    from jupyter_orch.client.schemas.filters import FlowFilter, FlowRunFilter

    @flow
    def listed(n: int = 0):
        return n

    client = SyncPrefectClient()
    made = client.create_flow_run(listed, name="first", parameters={"n": 1}, tags=["x"])
    assert made.name == "first" and made.parameters == {"n": 1} and made.state.is_pending()
    assert run_flow(listed, flow_run=made) == 1
    listed(2)
    runs = client.read_flow_runs(flow_filter=FlowFilter(id={"any_": [made.flow_id]}))
    assert [r.parameters["n"] for r in runs] == [2, 1]  # newest first
    soonest = client.read_flow_runs(
        flow_filter=FlowFilter(id={"any_": [made.flow_id]}), sort=FlowRunSort.EXPECTED_START_TIME_ASC
    )
    assert {r.id for r in soonest} == {r.id for r in runs}
    starts = [r.expected_start_time or r.created for r in soonest]
    assert starts == sorted(starts)
    (only,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(id={"any_": [made.id]}))
    assert only.id == made.id and only.state.is_completed()
    assert len(client.read_flow_runs(limit=1)) == 1


def test_propose_state_moves_a_flow_run(records):
    from jupyter_orch.client.orchestration import get_client as prefect_client
    from jupyter_orch.states import Running
    from jupyter_orch.utilities.engine import propose_state, propose_state_sync

    @flow
    def proposed():
        pass

    client = prefect_client(sync_client=True)
    run = client.create_flow_run(proposed)
    state = propose_state_sync(client, Running(), flow_run_id=run.id)
    assert state.is_running() and records.flow_run(str(run.id))["state_type"] == "RUNNING"
    with pytest.raises(ValueError, match="flow_run_id"):
        asyncio.run(propose_state(client, Running()))


def test_load_flow_and_flow_run_from_the_entrypoint(records, tmp_path, monkeypatch):
    from jupyter_orch.client.orchestration import SyncPrefectClient
    from jupyter_orch.flow_engine import load_flow_and_flow_run

    (tmp_path / "dogs.py").write_text(
        "from jupyter_orch import flow\n\n@flow\ndef dog():\n    return 'woof'\n"
    )

    @flow
    def dog():
        pass

    run = SyncPrefectClient().create_flow_run(dog)
    monkeypatch.setenv("JUPYTER_ORCH__FLOW_ENTRYPOINT", f"{tmp_path / 'dogs.py'}:dog")
    loaded_run, loaded = load_flow_and_flow_run(run.id)
    assert loaded_run.id == run.id and loaded.fn() == "woof"
    monkeypatch.delenv("JUPYTER_ORCH__FLOW_ENTRYPOINT")
    with pytest.raises(ValueError, match="deployment"):
        load_flow_and_flow_run(run.id)


def test_an_interrupt_entering_running_crashes_the_task_run(records, monkeypatch):
    from jupyter_orch.task_engine import AsyncTaskRunEngine, SyncTaskRunEngine

    engine = SyncTaskRunEngine(task=foo_task)
    assert engine.task is foo_task and engine.parameters == {} and AsyncTaskRunEngine is SyncTaskRunEngine
    monkeypatch.setattr(SyncTaskRunEngine, "begin_run", mock.MagicMock(side_effect=SystemExit))
    with pytest.raises(SystemExit):
        foo_task()
    get_client().flush()  # what the engine queued is written
    (run,) = records.task_runs()
    assert run["state_type"] == "CRASHED" and "Execution was aborted" in run["state_message"]
    assert run["end_time"] is None  # it never ran


@task
def foo_task():
    return 42


def test_prefect_schema_and_context_names():
    from jupyter_orch.context import EngineContext
    from jupyter_orch.server.schemas.core import ConcurrencyLimitV2, FlowRun

    assert issubclass(EngineContext, FlowRunContext)  # also made from a recorded run, as Prefect's
    assert FlowRun.model_construct(deployment_id="d").deployment_id == "d"
    limit = ConcurrencyLimitV2(name="db", limit=2)
    assert limit.active and limit.active_slots == 0


def test_prefect_fixtures_flow_run_and_sync_events(records, flow_run, events_pipeline):
    assert flow_run.flow_name == "test-flow" and flow_run.state.is_pending()
    foo_task()
    assert events_pipeline.process_events(_sync=True) is None  # written at once: nothing to await
    assert [r["state_type"] for r in records.task_runs()] == ["COMPLETED"]
    assert records.flow_run(str(flow_run.id))["state_type"] == "PENDING"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_retry_waits_go_through_anyio_sleep(records, monkeypatch, kind):
    import anyio

    waits = []

    async def fake_sleep(delay):
        waits.append(delay)

    monkeypatch.setattr(anyio, "sleep", fake_sleep)

    async def condition(task, task_run, state):  # an async retry condition is awaited
        return True

    @task(retries=2, retry_delay_seconds=[3, 7], retry_condition_fn=condition)
    def flaky_sync():
        raise ValueError("again")

    @task(retries=2, retry_delay_seconds=[3, 7], retry_condition_fn=condition)
    async def flaky_async():
        raise ValueError("again")

    if kind == "sync":
        state = flaky_sync(return_state=True)
    else:
        state = asyncio.run(flaky_async(return_state=True))
    assert state.is_failed() and waits == [pytest.approx(3, abs=1), pytest.approx(7, abs=1)]
    get_client().flush()
    names = [s["name"] for s in records.task_run_states(state.task_run_id)]
    assert names == ["Pending", "Running"] + ["AwaitingRetry", "Retrying"] * 2 + ["Failed"]


def test_a_timeout_says_it_timed_out():
    @task(timeout_seconds=0.1)
    def slow():
        time.sleep(2)

    with pytest.raises(TimeoutError, match=r"Task run timed out after 0.1 second\(s\)"):
        slow()


def test_run_log_records_carry_the_run_names(records):
    import logging

    from jupyter_orch.engine.logging import RUN_LOGGER
    from jupyter_orch.logging import get_run_logger

    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    @task(task_run_name="t-run")
    def noted():
        get_run_logger().warning("from the task")

    @flow(flow_run_name="f-run")
    def noting():
        get_run_logger().warning("from the flow")
        noted()

    handler = Keep()
    logging.getLogger(RUN_LOGGER).addHandler(handler)
    try:
        noting()
    finally:
        logging.getLogger(RUN_LOGGER).removeHandler(handler)
    by_message = {r.getMessage(): r for r in seen}
    from_flow, from_task = by_message["from the flow"], by_message["from the task"]
    assert (from_flow.flow_name, from_flow.flow_run_name) == ("noting", "f-run")
    assert (from_task.task_name, from_task.task_run_name) == ("noted", "t-run")
    assert from_task.flow_run_id == from_flow.flow_run_id


def test_a_task_called_in_a_task_records_its_parent(records):
    from jupyter_orch.client.orchestration import SyncPrefectClient
    from jupyter_orch.context import TaskRunContext

    @task
    def inner():
        return TaskRunContext.get().task_run_id

    @task
    def outer():
        return inner(), TaskRunContext.get().task_run_id

    @flow
    def sub():
        return inner()

    @task
    def around_subflow():
        return sub()

    @flow
    def nesting():
        return outer(), around_subflow()

    (inner_id, outer_id), in_subflow = nesting()
    client = SyncPrefectClient()
    (parent,) = client.read_task_run(inner_id).task_inputs["__parents__"]
    assert str(parent.id) == outer_id
    assert "__parents__" not in client.read_task_run(outer_id).task_inputs
    assert "__parents__" not in client.read_task_run(in_subflow).task_inputs  # another flow run
    run = client.read_task_run(outer_id)
    assert run.expected_start_time == client.read_task_run_states(outer_id)[0].timestamp


def test_task_engine_client_exists_only_while_a_run_is_initialized():
    import asyncio

    from jupyter_orch.client.orchestration import PrefectClient, SyncPrefectClient
    from jupyter_orch.task_engine import SyncTaskRunEngine

    @task
    def one() -> int:
        return 1

    engine = SyncTaskRunEngine(task=one)
    assert engine.task is one and engine.parameters == {}
    with pytest.raises(RuntimeError, match="not started"):
        assert engine.client is None  # raises first
    with engine.initialize_run():
        assert isinstance(engine.client, SyncPrefectClient)
    with pytest.raises(RuntimeError, match="not started"):
        assert engine.client is None  # raises first

    async def initialized() -> object:
        async with engine.initialize_run():
            return engine.client

    assert isinstance(asyncio.run(initialized()), PrefectClient)
    assert one() == 1  # runs still read their cache through the engine's own client
