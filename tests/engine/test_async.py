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
