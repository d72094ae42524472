"""Prefect's `prefect._internal.concurrency.api`: wrap a call (`create_call`) and run it on the
process's global event loop, a daemon thread started on first use, from sync or async code
(`from_sync` / `from_async`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

__all__ = ["Call", "create_call", "from_async", "from_sync", "in_global_loop"]

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_lock = threading.Lock()


def _global_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            _thread = threading.Thread(target=loop.run_forever, name="GlobalEventLoopThread", daemon=True)
            _thread.start()
            _loop = loop
        return _loop


def in_global_loop() -> bool:
    """Whether the caller runs on the global event loop's thread."""
    return _thread is not None and threading.current_thread() is _thread


class Call(Generic[T]):
    """A function with its arguments, run at most once; `result()` waits for its outcome."""

    def __init__(
        self, fn: Callable[..., T | Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.future: concurrent.futures.Future[T] = concurrent.futures.Future()

    async def _run_async(self) -> None:
        try:
            value = self.fn(*self.args, **self.kwargs)
            if inspect.isawaitable(value):
                value = await value
        except BaseException as exc:  # the caller sees it through result()
            self.future.set_exception(exc)
        else:
            self.future.set_result(value)  # type: ignore[arg-type]

    def result(self, timeout: float | None = None) -> T:
        return self.future.result(timeout)

    async def aresult(self) -> T:
        return await asyncio.wrap_future(self.future)


def create_call(fn: Callable[..., T | Awaitable[T]], *args: Any, **kwargs: Any) -> Call[T]:
    return Call(fn, args, kwargs)


def _submit(call: Call[Any]) -> Call[Any]:
    asyncio.run_coroutine_threadsafe(call._run_async(), _global_loop())
    return call


class from_sync:  # noqa: N801 - Prefect's name
    """Run calls on the global loop from synchronous code."""

    @staticmethod
    def call_soon_in_loop_thread(call: Call[T], timeout: float | None = None) -> Call[T]:
        return _submit(call)

    @staticmethod
    def wait_for_call_in_loop_thread(call: Call[T], timeout: float | None = None) -> T:
        return _submit(call).result(timeout)


class from_async:  # noqa: N801 - Prefect's name
    """Run calls on the global loop from async code."""

    @staticmethod
    def call_soon_in_loop_thread(call: Call[T], timeout: float | None = None) -> Call[T]:
        return _submit(call)

    @staticmethod
    async def wait_for_call_in_loop_thread(call: Call[T], timeout: float | None = None) -> T:
        return await _submit(call).aresult()
