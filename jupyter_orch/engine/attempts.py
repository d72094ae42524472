"""One attempt loop for both kinds of caller: the flow and task drivers write each loop once, as
a coroutine that awaits `call(...)` (the body) and `sleep(delay)` (the wait before a retry).

On the event loop, the async run awaits it with calls and sleeps that really suspend. In this
thread, the sync run hands it calls and sleeps that block and never suspend, so `run_inline` runs
the whole coroutine in one `send`: no event loop, and asyncio is not even imported."""

from __future__ import annotations

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
    """The sync run's wait: blocks this thread, in `anyio.sleep` as Prefect's engine waits (code
    that replaces `anyio.sleep`, as Prefect's tests do, sees every wait)."""
    import anyio  # here, not at the top: only a retry with a delay waits

    from jupyter_orch.engine.asyncutils import run_coro_sync

    run_coro_sync(anyio.sleep(delay))


async def sleep_async(delay: float) -> None:
    """The async run's wait: suspends on the event loop, in `anyio.sleep` (see `sleep_sync`)."""
    import anyio  # here, not at the top: only a retry with a delay waits

    await anyio.sleep(delay)
