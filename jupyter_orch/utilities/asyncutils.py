"""Prefect's `prefect.utilities.asyncutils` helpers for calling coroutines from sync code."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from jupyter_orch.coroutines import as_awaitable, called_from_coroutine, in_running_loop

T = TypeVar("T")


def run_coro_as_sync(coroutine: Coroutine[Any, Any, T], *, force_new_thread: bool = False) -> T:
    """Run `coroutine` to completion from synchronous code, also where a loop already runs in
    this thread (it then runs on a background loop), and return its result."""
    from jupyter_orch.engine.asyncutils import run_coro_sync  # asyncio: only to run a coroutine

    return run_coro_sync(coroutine)


__all__ = ["as_awaitable", "called_from_coroutine", "in_running_loop", "run_coro_as_sync"]
