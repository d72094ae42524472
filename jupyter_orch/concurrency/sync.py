"""`with concurrency("name"): ...` for synchronous code (Prefect's `prefect.concurrency.sync`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_orch.concurrency import slots
from jupyter_orch.states import new_uuid


@contextmanager
def concurrency(names: str | Iterable[str], occupy: int = 1, **options: Any) -> Iterator[None]:
    """Hold a slot of each named limit for the block (`occupy` is accepted: one slot each);
    options: `timeout_seconds`, `strict=True` (refuse names without a limit), `max_retries`."""
    held = slots.claim(names, options.get("strict", False))
    if not held:
        yield
        return
    holder = new_uuid()
    slots.acquire(held, holder, options.get("timeout_seconds"))
    try:
        yield
    finally:
        slots.release(holder)


__all__ = ["concurrency"]
