"""Prefect's engine objects as its own tests drive them: `FlowRunEngine(flow=, flow_run=)` with
`client` only once started (`initialize_run()`), `start()` recording or adopting the run without
entering RUNNING; `EngineContext(flow=, flow_run=, ...)` for a flow run recorded beforehand, in
which `run_task_sync` runs a task (`with ctx:` or `context={"flow_run_context": ctx.serialize()}`);
an async flow returning an unawaited task call; a task run's `flow_run_run_count`."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_orch import flow, task
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.context import EngineContext, FlowRunContext, TaskRunContext
from jupyter_orch.flow_engine import FlowRunEngine
from jupyter_orch.results import ResultStore
from jupyter_orch.states import Running
from jupyter_orch.task_engine import run_task_sync
from jupyter_orch.task_runners import ThreadPoolTaskRunner
from jupyter_orch.utilities.engine import propose_state


@flow(retries=2, retry_delay_seconds=5)
def retried() -> int:
    return 1


def test_flow_run_engine_client_and_start(records):
    engine = FlowRunEngine(flow=retried)
    with pytest.raises(RuntimeError, match="not started"):
        _ = engine.client
    with engine.initialize_run():
        assert isinstance(engine.client, SyncPrefectClient)
    with pytest.raises(RuntimeError, match="not started"):
        _ = engine.client
    flow_run = SyncPrefectClient().create_flow_run(retried)
    engine = FlowRunEngine(flow=retried, flow_run=flow_run)
    with engine.start():
        assert engine.flow_run.id == flow_run.id
        assert (engine.flow_run.empirical_policy.retries, engine.flow_run.empirical_policy.retry_delay) == (
            2,
            5,
        )
        assert records.flow_run(str(flow_run.id))["state_type"] == "PENDING"
        engine.begin_run()
    assert records.flow_run(str(flow_run.id))["state_type"] == "RUNNING"


def test_tasks_run_in_an_engine_context_of_a_recorded_flow_run(records):
    client = SyncPrefectClient()
    flow_run = client.create_flow_run(retried)
    asyncio.run(propose_state(client, Running(), flow_run_id=flow_run.id))
    flow_run = client.read_flow_run(flow_run.id)
    store = asyncio.run(ResultStore().update_for_flow(retried))
    ctx = EngineContext(flow=retried, flow_run=flow_run, client=client, task_runner=ThreadPoolTaskRunner(),
                        result_store=store, parameters={"x": "y"})  # fmt: skip

    @task
    def where() -> tuple:
        run = TaskRunContext.get().task_run
        return FlowRunContext.get().flow_run.id, run.id, run.flow_run_run_count

    flow_run_id, _, count = run_task_sync(where, context={"flow_run_context": ctx.serialize()})
    assert flow_run_id == flow_run.id and count == flow_run.run_count == 1
    with ctx:
        _, task_run_id, _ = run_task_sync(where)
    recorded = client.read_task_run(task_run_id)
    assert recorded.flow_run_id == flow_run.id and recorded.flow_run_run_count == 1


def test_an_async_flow_may_return_an_unawaited_task_call(records):
    @task
    async def answer() -> int:
        return 42

    @flow
    async def returns_the_call() -> int:
        return answer()

    assert asyncio.run(returns_the_call()) == 42


def test_a_subflow_called_in_a_task_has_that_task_run_as_parent(records):
    seen = {}

    @flow
    def inner() -> None:
        seen["flow"] = FlowRunContext.get().flow_run.id

    @task
    def calls_a_flow() -> None:
        seen["task"] = TaskRunContext.get().task_run.id
        inner()

    @flow
    def outer() -> None:
        calls_a_flow()

    outer()
    client = SyncPrefectClient()
    stand_in = client.read_task_run(client.read_flow_run(seen["flow"]).parent_task_run_id)
    assert stand_in.task_inputs["__parents__"][0].id == seen["task"]
