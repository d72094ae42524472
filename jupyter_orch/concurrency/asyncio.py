"""`async with concurrency("name"): ...` and `await rate_limit("name")` (Prefect's
`prefect.concurrency.asyncio`): `sync`'s, waiting for slots without blocking the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from jupyter_orch.concurrency import global_slots
from jupyter_orch.concurrency.global_slots import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)


async def _acquire(
    names: list[str], occupy: int, timeout_seconds: float | None, mode: str, strict: bool
) -> list[str]:
    """`global_slots.acquire`, asking off the loop and waiting on it."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while True:
        taken, held = await asyncio.to_thread(global_slots.try_acquire, names, occupy, mode, strict)
        if taken:
            return held
        if deadline is not None and time.monotonic() >= deadline:
            raise AcquireConcurrencySlotTimeoutError(
                f"Attempt to acquire concurrency slots timed out after {timeout_seconds} second(s)"
            )
        await asyncio.sleep(global_slots.POLL_SECONDS)


@asynccontextmanager
async def concurrency(
    names: str | Iterable[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    strict: bool = False,
    **_options: Any,
) -> AsyncIterator[None]:
    """Hold slots of each named limit for the block; see `jupyter_orch.concurrency.sync`."""
    names = global_slots.as_names(names)
    held = await _acquire(names, occupy, timeout_seconds, "concurrency", strict)
    started = time.monotonic()
    try:
        yield
    finally:
        # given back even when the block was cancelled (a timeout): shielded from the cancellation
        await asyncio.shield(
            asyncio.to_thread(global_slots.release, held, occupy, time.monotonic() - started)
        )


async def rate_limit(
    names: str | Iterable[str], occupy: int = 1, timeout_seconds: float | None = None, strict: bool = False
) -> None:
    """Wait for and take slots of each named rate limit; see `jupyter_orch.concurrency.sync`."""
    await _acquire(global_slots.as_names(names), occupy, timeout_seconds, "rate_limit", strict)


__all__ = [
    "AcquireConcurrencySlotTimeoutError",
    "ConcurrencySlotAcquisitionError",
    "concurrency",
    "rate_limit",
]
