"""Running a body with a time limit.

A synchronous body called in the main thread (where no other alarm is set) runs there under a
SIGALRM timer, as Prefect's engine does: the alarm interrupts it even in a blocking call
(`time.sleep`), so its `finally` blocks (a concurrency slot given back) run before the timeout is
reported. Elsewhere it runs in a worker thread that we stop waiting for when time is up; we also
raise `TimeoutError` inside it (PyThreadState_SetAsyncExc), which takes effect the next time it
executes Python bytecode. An async body is bounded by `asyncio.wait_for`, which cancels it.
"""

from __future__ import annotations

import contextvars
import ctypes
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from jupyter_orch.states import Failed, State, TimedOut

T = TypeVar("T")


class TaskRunTimeout(TimeoutError):
    """The run's own time limit passed (as opposed to a TimeoutError raised by the body).

    Its text is what `.result()` raises ("Flow run timed out after 0.1 second(s)"); the run's
    TimedOut state says, as Prefect's engines do, that the run "exceeded timeout of 0.1 second(s)"."""

    def __init__(self, kind: str, seconds: float) -> None:
        super().__init__(f"{kind} run timed out after {seconds:g} second(s)")
        self.kind, self.seconds = kind, seconds
        self.state_message = f"{kind} run exceeded timeout of {seconds} second(s)"

    def __reduce__(self) -> tuple[Any, ...]:  # pickled results (process/dask runners) rebuild it
        return (type(self), (self.kind, self.seconds))


def failure_state(exc: Exception, message: str) -> State:
    """What an attempt that raised `exc` proposes: TimedOut when the run's own limit passed, else
    Failed with `message`; the exception is the state's result (`.result()` raises it)."""
    if isinstance(exc, TaskRunTimeout):
        proposed = TimedOut(message=exc.state_message)
    else:
        proposed = Failed(message=message)
    proposed.set_result(exc)
    return proposed


def call_with_timeout(
    fn: Callable[..., T], args: tuple, kwargs: dict[str, Any], seconds: float | None, kind: str = "Task"
) -> T:
    """`fn(*args, **kwargs)`, or `TimeoutError` once `seconds` have passed."""
    if seconds is None:
        return fn(*args, **kwargs)
    if _can_alarm(seconds):
        return _call_with_alarm(fn, args, kwargs, seconds, kind)
    outcome: dict[str, Any] = {}
    ctx = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = ctx.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed back to the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=f"jupyter-orch-{kind.lower()}-body", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        interrupt(thread)
        raise TaskRunTimeout(kind, seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _can_alarm(seconds: float) -> bool:
    """In the main thread, on a platform with SIGALRM, with no sooner alarm already set (an outer
    time limit, or pytest-timeout's, is put back afterwards with what is left of it)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    import signal  # here: only a sync body with a timeout needs it

    if not hasattr(signal, "setitimer"):
        return False
    pending, _ = signal.getitimer(signal.ITIMER_REAL)
    return not pending or pending > seconds


def _call_with_alarm(
    fn: Callable[..., T], args: tuple, kwargs: dict[str, Any], seconds: float, kind: str
) -> T:
    import signal  # here: only a sync body with a timeout needs it
    import time

    def on_alarm(signum: int, frame: Any) -> None:
        raise TaskRunTimeout(kind, seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    outer, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # the outer alarm goes on with what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-3), interval)


def interrupt(thread: threading.Thread) -> None:
    """Ask `thread` to raise TimeoutError at its next bytecode (best effort)."""
    if thread.ident is None:
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(TimeoutError))


async def await_with_timeout(awaitable: Awaitable[T], seconds: float | None, kind: str = "Task") -> T:
    if seconds is None:
        return await awaitable
    import asyncio  # loaded already: we are awaited (not imported up front, for a fast first call)

    try:
        return await asyncio.wait_for(awaitable, seconds)
    except asyncio.TimeoutError:
        raise TaskRunTimeout(kind, seconds) from None


def is_cancellation(exc: BaseException) -> bool:
    """Whether `exc` is asyncio's CancelledError (without importing asyncio: if it is not loaded,
    nothing can have raised one)."""
    aio = sys.modules.get("asyncio")
    return aio is not None and isinstance(exc, aio.CancelledError)
