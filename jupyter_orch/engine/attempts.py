"""One attempt loop for both kinds of caller: the flow and task drivers write each loop once, as
a coroutine that awaits `call(...)` (the body) and `sleep(delay)` (the wait before a retry).

On the event loop, the async run awaits it with calls and sleeps that really suspend. In this
thread, the sync run hands it calls and sleeps that block and never suspend, so `run_inline` runs
the whole coroutine in one `send`: no event loop, and asyncio is not even imported."""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_inline(coro: Coroutine[Any, Any, T]) -> T:
    """The value of a coroutine that never suspends (its awaits all finish at once)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a coroutine run inline suspended")


async def sleep_sync(delay: float) -> None:
    """The sync run's wait: blocks this thread."""
    time.sleep(delay)


async def sleep_async(delay: float) -> None:
    """The async run's wait: suspends on the event loop."""
    import asyncio  # here, not at the top: a sync run never loads asyncio

    await asyncio.sleep(delay)
