"""Prefect's `prefect.utilities.asyncutils` helpers for calling coroutines from sync code."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from jupyter_orch.states.core import _in_running_loop

T = TypeVar("T")
#: whether an event loop runs in this thread (asyncio is not loaded for the answer)
in_running_loop = _in_running_loop


def run_coro_as_sync(coroutine: Coroutine[Any, Any, T], *, force_new_thread: bool = False) -> T:
    """Run `coroutine` to completion from synchronous code, also where a loop already runs in
    this thread (it then runs on a background loop), and return its result."""
    from jupyter_orch.engine.asyncutils import run_coro_sync  # asyncio: only to run a coroutine

    return run_coro_sync(coroutine)


def called_from_coroutine(depth: int = 2) -> bool:
    """Whether the caller of the function calling this is an `async def` body (Prefect's methods
    that answer an awaitable there and a value elsewhere)."""
    flags = sys._getframe(depth).f_code.co_flags
    return bool(flags & (inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR))


async def as_awaitable(value: T) -> T:
    """`value`, to be awaited."""
    return value


__all__ = ["as_awaitable", "called_from_coroutine", "in_running_loop", "run_coro_as_sync"]
