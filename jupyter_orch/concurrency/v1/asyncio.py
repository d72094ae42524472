"""Tag concurrency slots held by a task run, for async code (Prefect's
`prefect.concurrency.v1.asyncio`)."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_orch.concurrency import asyncio as _async
from jupyter_orch.concurrency import slots


async def _acquire_concurrency_slots(
    names: list[str], task_run_id: Any, timeout_seconds: float | None = None
) -> list[str]:
    """Wait for a slot of each limited tag among `names` for the task run; the tags held."""
    held = await asyncio.to_thread(slots.limited, names)
    if held:
        await _async.acquire(held, str(task_run_id), timeout_seconds)
    return held


async def _release_concurrency_slots(names: list[str], task_run_id: Any, occupy_seconds: float) -> None:
    await asyncio.to_thread(slots.release, str(task_run_id))
