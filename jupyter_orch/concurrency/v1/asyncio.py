"""Tag concurrency slots held by a task run, for async code (Prefect's
`prefect.concurrency.v1.asyncio`): `sync`'s two functions, waiting with the event loop free.
Both are sync-compatible as Prefect's are: awaitable on a running event loop, the value itself
with `_sync=True` or where no loop runs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from jupyter_orch.concurrency import slots
from jupyter_orch.coroutines import in_running_loop as _in_running_loop


def _answer_sync(_sync: bool | None) -> bool:
    return bool(_sync) if _sync is not None else not _in_running_loop()


async def _limited(names: list[str]) -> list[str]:
    """`slots.limited`, off the loop only when it has to ask the database (outside a flow run)."""
    if slots.known_limited() is not None:
        return slots.limited(names)
    return await asyncio.to_thread(slots.limited, names)


async def _acquire(names: list[str], task_run_id: Any, timeout_seconds: float | None) -> list[str]:
    """`slots.hold_tags`, polling with the loop free in between."""
    held = await _limited(names)
    if not held:
        return held
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while not await asyncio.to_thread(slots.try_acquire, held, str(task_run_id)):
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"Concurrency slots for {held} not acquired in {timeout_seconds}s")
        await asyncio.sleep(slots.POLL_SECONDS)
    return held


async def _release(names: list[str], task_run_id: Any) -> None:
    if await _limited(names):
        await asyncio.to_thread(slots.release, str(task_run_id))


def _acquire_concurrency_slots(
    names: list[str], task_run_id: Any, timeout_seconds: float | None = None, _sync: bool | None = None
) -> Any:
    """Wait for a slot of each limited tag among `names` for the task run; the tags held."""
    if _answer_sync(_sync):
        return slots.hold_tags(names, task_run_id, timeout_seconds)
    return _acquire(names, task_run_id, timeout_seconds)


def _release_concurrency_slots(
    names: list[str], task_run_id: Any, occupy_seconds: float, _sync: bool | None = None
) -> Any:
    """Free the slots the task run holds (`occupy_seconds`: how long it held them)."""
    if _answer_sync(_sync):
        return slots.free_tags(names, task_run_id)
    return _release(names, task_run_id)
