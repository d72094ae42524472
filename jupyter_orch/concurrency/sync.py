"""`with concurrency("name"): ...` and `rate_limit("name")` for synchronous code (Prefect's
`prefect.concurrency.sync`), over global concurrency limits (`jupyter orch` / the API's
`/v2/concurrency_limits`, or `PrefectClient.create_global_concurrency_limit`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_orch.concurrency import global_slots
from jupyter_orch.concurrency.global_slots import (
    AcquireConcurrencySlotTimeoutError,
    ConcurrencySlotAcquisitionError,
)


@contextmanager
def concurrency(
    names: str | Iterable[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    strict: bool = False,
    **_options: Any,
) -> Iterator[None]:
    """Hold `occupy` slots of each named limit for the block, given back however it ends; waits
    while any is full (TimeoutError after `timeout_seconds`). A name without a limit, or an
    inactive one, never waits; `strict=True` refuses names without a limit."""
    names = global_slots.as_names(names)
    held = global_slots.acquire(names, occupy, timeout_seconds, "concurrency", strict)
    started = time.monotonic()
    try:
        yield
    finally:
        global_slots.release(held, occupy, time.monotonic() - started)


def rate_limit(
    names: str | Iterable[str], occupy: int = 1, timeout_seconds: float | None = None, strict: bool = False
) -> None:
    """Wait until `occupy` slots of each named rate limit are free and take them: they free
    themselves at the limit's `slot_decay_per_second` (never given back)."""
    global_slots.acquire(global_slots.as_names(names), occupy, timeout_seconds, "rate_limit", strict)


__all__ = [
    "AcquireConcurrencySlotTimeoutError",
    "ConcurrencySlotAcquisitionError",
    "concurrency",
    "rate_limit",
]
