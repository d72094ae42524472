"""Generator tasks and flows (sync and async): the call yields as the body does, and the run follows
the consumption: RUNNING while values are asked for, COMPLETED when exhausted, FAILED (or retried
from the start) when the body raises; values feed downstream runs as their upstream."""

from __future__ import annotations

import asyncio
import time

import pytest

from jupyter_orch import flow, task
from jupyter_orch.client import get_client
from jupyter_orch.context import TaskRunContext


def _state_of(records, run_id) -> str:
    get_client().flush()
    return records.task_run(run_id)["state_type"]


def test_sync_generator_run_follows_consumption(records):
    @task
    def numbers():
        yield TaskRunContext.get().task_run.id
        yield 2
        return "done"

    gen = numbers()
    run_id = next(gen)
    assert _state_of(records, run_id) == "RUNNING"
    assert next(gen) == 2
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"
    assert _state_of(records, run_id) == "COMPLETED"
    names = [s["name"] for s in records.task_run_states(run_id)]
    assert names == ["Pending", "Running", "Completed"]


def test_generator_failure_retries_from_the_start_then_fails(records):
    seen: list[int] = []
    ids: list[str] = []

    @task(retries=1)
    def flaky():
        ids.append(TaskRunContext.get().task_run.id)
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        for value in flaky():
            seen.append(value)
    assert seen == [1, 1]
    assert len(set(ids)) == 1
    assert _state_of(records, ids[0]) == "FAILED"


def test_generator_requires_result_return_type():
    @task
    def gen():
        yield 1

    with pytest.raises(ValueError, match="return_type for a generator task must be 'result'"):
        list(gen(return_state=True))


def test_generator_values_are_upstream_of_downstream_runs(records):
    @task(task_run_name="producer")
    def produce():
        yield 1000

    @task
    def consume(x):
        return TaskRunContext.get().task_run.id

    @flow
    def pipeline():
        return [consume(v) for v in produce()]

    [consumer_id] = pipeline()
    inputs = records.task_run(consumer_id)["task_inputs"]
    producer_id = inputs["x"][0]["id"]
    assert inputs["__parents__"][0]["id"] == producer_id
    assert records.task_run(producer_id)["name"] == "producer"


def test_sync_generator_timeout_stops_the_body():
    @task(timeout_seconds=0.3)
    def slow():
        yield 1
        for _ in range(100):  # 2 s in small steps: the TimeoutError lands between them
            time.sleep(0.02)
        yield 2

    values: list[int] = []
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out after 0.3 second"):
        for value in slow():
            values.append(value)
    assert values == [1]
    assert time.monotonic() - start < 1.8


def test_a_returned_generator_is_consumed_and_a_yielded_one_is_not():
    consumed: list[str] = []

    @task
    def inner():
        consumed.append("inner")
        yield 1

    @task
    def returns():
        return inner()

    @task
    def yields():
        yield inner()

    assert returns() == [1] and consumed == ["inner"]
    consumed.clear()
    handed = next(yields())
    assert consumed == []
    assert list(handed) == [1] and consumed == ["inner"]


def test_async_generator_task(records):
    @task(retries=1)
    async def agen():
        yield TaskRunContext.get().task_run.id
        await asyncio.sleep(0)
        yield 2

    async def consume() -> list:
        return [value async for value in agen()]

    run_id, second = asyncio.run(consume())
    assert second == 2
    assert _state_of(records, run_id) == "COMPLETED"


def test_async_generator_failure_and_timeout(records):
    @task
    async def failing():
        yield TaskRunContext.get().task_run.id
        raise ValueError("xyz")

    @task(timeout_seconds=0.2)
    async def slow():
        yield 1
        await asyncio.sleep(5)

    async def consume(gen) -> list:
        got = []
        async for value in gen:
            got.append(value)
        return got

    ids: list[str] = []
    with pytest.raises(ValueError, match="xyz"):
        asyncio.run(consume(_collect(failing(), ids)))
    assert _state_of(records, ids[0]) == "FAILED"
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out after 0.2 second"):
        asyncio.run(consume(slow()))
    assert time.monotonic() - start < 3


async def _collect(gen, into: list):
    async for value in gen:
        into.append(value)
        yield value


# -- generator flows --------------------------------------------------------------------------------
def test_sync_generator_flow_run_follows_consumption(records):
    @task
    def double(x):
        return 2 * x

    @flow
    def numbers(n: int):
        for i in range(n):
            yield double(i)
        return "done"

    gen = numbers("3")  # validated as the flow's parameters are
    assert next(gen) == 0
    [run] = records.flow_runs(flow_name="numbers")
    assert run["state_type"] == "RUNNING"
    rest = []
    with pytest.raises(StopIteration) as stop:
        while True:
            rest.append(next(gen))
    assert rest == [2, 4] and stop.value.value == "done"
    run = records.flow_run(run["id"])
    assert run["state_type"] == "COMPLETED"
    assert len(records.task_runs(flow_run_id=run["id"])) == 3


def test_generator_flow_retries_then_fails(records):
    values: list[int] = []

    @flow(retries=1)
    def flaky():
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        for value in flaky():
            values.append(value)
    assert values == [1, 1]
    [run] = records.flow_runs(flow_name="flaky")
    names = [s["name"] for s in records.flow_run_states(run["id"])]
    assert names[-1] == "Failed" and "Retrying" in names


def test_generator_flow_closed_early_completes(records):
    @flow
    def endless():
        i = 0
        while True:
            yield i
            i += 1

    for value in endless():
        if value == 3:
            break
    [run] = records.flow_runs(flow_name="endless")
    assert run["state_type"] == "COMPLETED"


def test_generator_flow_timeout_and_return_state():
    @flow(timeout_seconds=0.3)
    def slow():
        yield 1
        for _ in range(100):
            time.sleep(0.02)
        yield 2

    values: list[int] = []
    with pytest.raises(TimeoutError, match="Flow run timed out after 0.3 second"):
        for value in slow():
            values.append(value)
    assert values == [1]
    with pytest.raises(ValueError, match="return_type for a generator flow must be 'result'"):
        list(slow(return_state=True))


def test_async_generator_flow_awaits_its_async_tasks(records):
    @task
    async def double(x):
        return 2 * x

    @flow
    async def doubled(n: int):
        for i in range(n):
            yield await double(i)

    async def consume() -> list:
        return [value async for value in doubled(3)]

    assert asyncio.run(consume()) == [0, 2, 4]
    [run] = records.flow_runs(flow_name="doubled")
    assert run["state_type"] == "COMPLETED"
    assert len(records.task_runs(flow_run_id=run["id"])) == 3
