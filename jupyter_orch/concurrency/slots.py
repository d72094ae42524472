"""Taking and freeing slots of named concurrency limits for one holder (a task run, or a block
of `concurrency(...)`), through the client: what `sync`, `asyncio` and `v1` share."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import flow_run_ctx

#: how often a full limit is asked again
POLL_SECONDS = 0.1


def limited(names: Iterable[str], client: Any = None) -> list[str]:
    """The names among `names` that carry a limit (the others never wait). Inside a flow run the
    set its engine read once at the start answers (a tagged task never asks the database)."""
    wanted = set(names)
    if not wanted:
        return []
    ctx = flow_run_ctx.get() if client is None else None
    known = ctx.limited_tags if ctx is not None else (client or get_client()).limited_tags()
    return sorted(wanted & known)


def try_acquire(names: list[str], holder_id: str) -> bool:
    """One attempt at a slot of each limit for `holder_id`; False if any is full."""
    return bool(get_client().increment_concurrency_slots(names, holder_id))


def acquire(names: list[str], holder_id: str, timeout_seconds: float | None = None) -> None:
    """Wait for a slot of each limit; TimeoutError after `timeout_seconds`."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while not try_acquire(names, holder_id):
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"Concurrency slots for {names} not acquired in {timeout_seconds}s")
        time.sleep(POLL_SECONDS)


def release(holder_id: str) -> None:
    get_client().decrement_concurrency_slots(holder_id)


def hold_tags(names: list[str], task_run_id: Any, timeout_seconds: float | None = None) -> list[str]:
    """A task run's wait for a slot of each limited tag among `names`; the tags held (what both
    `v1` modules do, shared here so neither calls through the other's patchable names)."""
    held = limited(names)
    if held:
        acquire(held, str(task_run_id), timeout_seconds)
    return held


def free_tags(names: list[str], task_run_id: Any) -> None:
    """Free what `hold_tags` took (nothing to ask when no tag among `names` carries a limit)."""
    if limited(names):
        release(str(task_run_id))
