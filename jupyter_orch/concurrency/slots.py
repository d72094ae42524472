"""Taking and freeing slots of named concurrency limits for one holder (a task run, or a block
of `concurrency(...)`), through the client: what `sync`, `asyncio` and `v1` share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from jupyter_orch.client import get_client

#: how often a full limit is asked again
POLL_SECONDS = 0.1


def _no_flow_run() -> frozenset[str] | None:
    return None


#: the limited tags the current flow run read at its start (None outside a flow run); the engine,
#: which stands above this module, installs its reader with `use_known_limited`
known_limited: Callable[[], frozenset[str] | None] = _no_flow_run


def use_known_limited(reader: Callable[[], frozenset[str] | None]) -> None:
    global known_limited
    known_limited = reader


def limited(names: Iterable[str], client: Any = None) -> list[str]:
    """The names among `names` that carry a limit (the others never wait). Inside a flow run the
    set its engine read once at the start answers (a tagged task never asks the database)."""
    wanted = set(names)
    if not wanted:
        return []
    known = known_limited() if client is None else None
    if known is None:
        known = (client or get_client()).limited_tags()
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
