"""Task-run concurrency limits by tag, as Prefect's engine keeps them: every run of a tagged task
goes through `jupyter_orch.concurrency.v1`'s `_acquire_concurrency_slots` /
`_release_concurrency_slots` (by module attribute, so Prefect's tests that patch them see each
call), inside a flow or not, sync or async; a run waits for a slot of each limited tag."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from unittest import mock

from jupyter_orch import tags, task
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.concurrency.v1 import asyncio as v1_async
from jupyter_orch.concurrency.v1 import sync as v1_sync
from jupyter_orch.context import TaskRunContext


def _peak(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    peak = active = 0
    for _, step in events:
        active += step
        peak = max(peak, active)
    return peak


def test_tagged_sync_task_outside_a_flow_waits_for_its_slot(records):
    client = SyncPrefectClient()
    client.create_concurrency_limit("one-at-a-time", 1)
    lock, intervals = threading.Lock(), []

    @task(tags=["one-at-a-time"])
    def work() -> None:
        began = time.monotonic()
        time.sleep(0.1)
        with lock:
            intervals.append((began, time.monotonic()))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(intervals) == 3 and _peak(intervals) == 1
    (limit,) = client.read_concurrency_limits(10, 0)
    assert limit.tag == "one-at-a-time" and limit.concurrency_limit == 1 and limit.active_slots == []


def test_async_tagged_tasks_wait_with_the_loop_free(records):
    SyncPrefectClient().create_concurrency_limit("api", 1)
    intervals = []

    @task(tags=["api"])
    async def call() -> None:
        began = time.monotonic()
        await asyncio.sleep(0.1)
        intervals.append((began, time.monotonic()))

    async def main() -> None:
        await asyncio.gather(call(), call())

    asyncio.run(main())
    assert len(intervals) == 2 and _peak(intervals) == 1


def test_the_engine_calls_the_v1_slot_functions_for_tagged_tasks_only(records):
    seen = {}

    @task
    def plain() -> None:
        return None

    @task(tags=["t1"])
    def tagged() -> None:
        seen["id"] = TaskRunContext.get().task_run.id

    acquire, release = v1_sync._acquire_concurrency_slots, v1_sync._release_concurrency_slots
    with (
        mock.patch.object(v1_sync, "_acquire_concurrency_slots", wraps=acquire) as acq,
        mock.patch.object(v1_sync, "_release_concurrency_slots", wraps=release) as rel,
    ):
        plain()
        assert acq.call_count == rel.call_count == 0
        with tags("t2"):
            tagged()
    acq.assert_called_once_with(["t1", "t2"], task_run_id=seen["id"], timeout_seconds=None, _sync=True)
    names, run_id, occupied = rel.call_args[0]
    assert names == ["t1", "t2"] and run_id == seen["id"] and isinstance(run_id, uuid.UUID) and occupied > 0
    assert SyncPrefectClient().read_concurrency_limits() == []  # asking creates no limit


def test_v1_async_functions_are_sync_compatible(records):
    SyncPrefectClient().create_concurrency_limit("x", 1)
    run_id = uuid.uuid4()
    assert v1_async._acquire_concurrency_slots(["x", "y"], task_run_id=run_id, _sync=True) == ["x"]
    (limit,) = SyncPrefectClient().read_concurrency_limits()
    assert limit.active_slots == [run_id]
    v1_async._release_concurrency_slots(["x", "y"], run_id, 0.1, _sync=True)
    assert SyncPrefectClient().read_concurrency_limit_by_tag("x").active_slots == []
