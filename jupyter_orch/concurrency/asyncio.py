"""`async with concurrency("name"): ...` (Prefect's `prefect.concurrency.asyncio`): waits for
the slots without blocking the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from jupyter_orch.concurrency import slots
from jupyter_orch.states import new_uuid


async def acquire(names: list[str], holder_id: str, timeout_seconds: float | None = None) -> None:
    """`slots.acquire`, polling with the loop free in between."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while not await asyncio.to_thread(slots.try_acquire, names, holder_id):
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"Concurrency slots for {names} not acquired in {timeout_seconds}s")
        await asyncio.sleep(slots.POLL_SECONDS)


@asynccontextmanager
async def concurrency(names: str | Iterable[str], occupy: int = 1, **options: Any) -> AsyncIterator[None]:
    """Hold a slot of each named limit for the block; see `jupyter_orch.concurrency.sync`."""
    held = await asyncio.to_thread(slots.claim, names, options.get("strict", False))
    if not held:
        yield
        return
    holder = new_uuid()
    await acquire(held, holder, options.get("timeout_seconds"))
    try:
        yield
    finally:
        await asyncio.to_thread(slots.release, holder)


__all__ = ["concurrency"]
