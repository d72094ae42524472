"""Is the caller async, is a loop running: the checks Prefect's dual (sync or awaitable) methods
need, at the bottom of the house so every layer can ask them, and answered without loading
asyncio (a sync flow's first call never does)."""

from __future__ import annotations

import inspect
import sys
from typing import TypeVar

T = TypeVar("T")

#: the code flags of an `async def` body (or async generator)
ASYNC_BODY = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def in_running_loop() -> bool:
    """Whether an event loop runs in this thread (asyncio not loaded: none can)."""
    aio = sys.modules.get("asyncio")
    if aio is None:
        return False
    try:
        aio.get_running_loop()
    except RuntimeError:
        return False
    return True


def called_from_coroutine(depth: int = 2) -> bool:
    """Whether the caller of the function calling this is an `async def` body (Prefect's methods
    that answer an awaitable there and a value elsewhere)."""
    return bool(sys._getframe(depth).f_code.co_flags & ASYNC_BODY)


async def as_awaitable(value: T) -> T:
    """`value`, to be awaited."""
    return value
