"""Async flows and tasks, and sync/async mixes where an event loop already runs (as in Jupyter)."""

from __future__ import annotations

import asyncio
import time

from jupyter_orch import flow, task


@task
async def async_double(x: int) -> int:
    await asyncio.sleep(0.01)
    return x * 2


@task
def sync_inc(x: int) -> int:
    return x + 1


def test_async_flow_with_async_and_sync_tasks(records):
    @flow
    async def async_flow(x: int) -> int:
        a, b = await asyncio.gather(async_double(x), async_double(x + 1))
        c = sync_inc(a + b)
        fut = async_double.submit(c)
        return fut.result()

    assert asyncio.run(async_flow(1)) == 14
    run = records.only_flow_run("async-flow")
    assert run["state_type"] == "COMPLETED"
    trs = records.task_runs(run["id"])
    assert len(trs) == 4 and all(t["state_type"] == "COMPLETED" for t in trs)


def test_async_tasks_run_concurrently(records):
    @task
    async def sleeper():
        await asyncio.sleep(1.0)

    @flow
    async def gathered():
        start = time.monotonic()
        await asyncio.gather(*(sleeper() for _ in range(4)))
        return time.monotonic() - start

    assert asyncio.run(gathered()) < 3.0  # one after another: 4 s; together: 1 s, plus a loaded machine


def test_sync_flow_with_async_tasks_inside_a_running_loop(records):
    @flow
    def sync_flow(x: int) -> int:
        return async_double(x) + async_double.submit(x).result()

    async def cell():  # what a Jupyter cell is: code running inside the kernel's event loop
        return sync_flow(5)

    assert sync_flow(1) == 4  # no loop running
    assert asyncio.run(cell()) == 20  # loop running in this thread: no "already running" error
    runs = records.flow_runs(flow_name="sync-flow")
    assert [r["state_type"] for r in runs] == ["COMPLETED", "COMPLETED"]


def test_async_task_called_outside_a_flow(records):
    assert asyncio.run(async_double(4)) == 8
    assert async_double.fn.__name__ == "async_double"


def test_an_async_task_blocking_on_a_nested_async_run(records):
    """Prefect lets an async task's body block on a future (`future.result()`): the runs it submits
    must not need the event loop that body holds (it ran on the shared loop: a deadlock)."""

    @task
    async def inner(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    @task
    async def outer(xs: list[int]) -> int:
        return sum(f.result(timeout=60) for f in inner.map(xs)) + inner.submit(1).result(timeout=60)

    @flow
    async def nested() -> int:
        return outer.submit([1, 2, 3]).result(timeout=60) + await outer([4])

    assert asyncio.run(nested()) == (12 + 2) + (8 + 2)
    run = records.only_flow_run("nested")
    assert run["state_type"] == "COMPLETED"
    assert len(records.task_runs(run["id"])) == 2 + 4 + 2


def test_a_submitted_async_task_waits_for_a_running_upstream_without_blocking_the_loop(records):
    """An async run whose upstream (an argument or `wait_for`) still runs on the shared event loop
    waits for it there; resolving it by blocking would stop the loop the upstream runs on."""

    @task
    async def slow(x: int) -> int:
        for _ in range(20):  # yields the loop many times: still running when `after` starts
            await asyncio.sleep(0.005)
        return x

    @task
    async def after(x: int, y: int) -> int:
        return x + y

    @flow
    async def chained() -> int:
        first = slow.submit(2)
        second = slow.submit(3)
        return after.submit(first, 4, wait_for=[second]).result(timeout=60)

    assert asyncio.run(chained()) == 6
