"""Tag concurrency slots held by a task run, for synchronous code (Prefect's
`prefect.concurrency.v1.sync`)."""

from __future__ import annotations

from typing import Any

from jupyter_orch.concurrency import slots


def _acquire_concurrency_slots(
    names: list[str], task_run_id: Any, timeout_seconds: float | None = None, _sync: bool | None = None
) -> list[str]:
    """Wait for a slot of each limited tag among `names` for the task run; the tags held."""
    held = slots.limited(names)
    if held:
        slots.acquire(held, str(task_run_id), timeout_seconds)
    return held


def _release_concurrency_slots(
    names: list[str], task_run_id: Any, occupy_seconds: float, _sync: bool | None = None
) -> None:
    slots.release(str(task_run_id))
