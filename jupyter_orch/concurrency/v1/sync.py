"""Tag concurrency slots held by a task run, for synchronous code (Prefect's
`prefect.concurrency.v1.sync`). The engine calls these two for every run of a tagged task, by
module attribute (so a test's `mock.patch` of them sees each call): the first waits for a slot of
each tag that carries a limit, the second frees them; tags without a limit cost no request."""

from __future__ import annotations

from typing import Any

from jupyter_orch.concurrency import slots


def _acquire_concurrency_slots(
    names: list[str], task_run_id: Any, timeout_seconds: float | None = None, _sync: bool | None = None
) -> list[str]:
    """Wait for a slot of each limited tag among `names` for the task run; the tags held."""
    return slots.hold_tags(names, task_run_id, timeout_seconds)


def _release_concurrency_slots(
    names: list[str], task_run_id: Any, occupy_seconds: float, _sync: bool | None = None
) -> None:
    """Free the slots the task run holds (`occupy_seconds`: how long it held them)."""
    slots.free_tags(names, task_run_id)
