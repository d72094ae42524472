"""Running coroutines from synchronous code, also where an event loop already runs in this thread
(a Jupyter kernel): they then go to one dedicated background event-loop thread instead of
nesting loops."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def background_loop() -> asyncio.AbstractEventLoop:
    """The shared event loop running forever in a daemon thread (started on first use)."""
    global _loop
    if _loop is not None:
        return _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="jupyter-orch-event-loop", daemon=True).start()
            ready.wait()
            _loop = loop
    return _loop


def run_coro_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion and return its result, wherever we are called from.

    Context variables of the caller are visible inside the coroutine in both cases.
    """
    if not in_running_loop():
        return asyncio.run(coro)
    return asyncio.run_coroutine_threadsafe(coro, background_loop()).result()
