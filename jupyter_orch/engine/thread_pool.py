"""The thread pool `ThreadPoolTaskRunner` drives its task runs on.

Why not `concurrent.futures.ThreadPoolExecutor`: its every submission makes a `Future` with its own
`threading.Condition` (an RLock, a deque and five bound methods: ~1.4 kB) and a work item, which
a flow mapping 100,000 tasks holds until it returns. Here the futures of one pool share one
Condition, so a future is a few attributes. They are still `concurrent.futures.Future`s:
`concurrent.futures.wait`, `add_done_callback`, `result(timeout)` and `exception()` behave as
theirs (a wait loops, since the shared Condition also wakes on other futures' ends).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures._base import CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED, PENDING
from queue import SimpleQueue
from typing import Any

from jupyter_orch.engine import collector

_ENDED = (FINISHED, CANCELLED, CANCELLED_AND_NOTIFIED)
_Item = tuple["SharedConditionFuture", contextvars.Context, Any]  # a queued engine


class SharedConditionFuture(concurrent.futures.Future):
    """A `concurrent.futures.Future` whose Condition is its pool's (see the module docstring)."""

    def __init__(self, condition: threading.Condition) -> None:  # no super(): it makes a Condition
        self._condition = condition
        self._state = PENDING
        self._result = None
        self._exception = None
        self._waiters: list[Any] = []
        self._done_callbacks: list[Callable[[concurrent.futures.Future], Any]] | None = None  # on first use

    def _wait_ended(self, timeout: float | None) -> None:
        """Block (holding nothing) until this future ended; TimeoutError after `timeout` s."""
        if self._state in _ENDED:
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while self._state not in _ENDED:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise concurrent.futures.TimeoutError()
                self._condition.wait(remaining)

    def add_done_callback(self, fn: Callable[[concurrent.futures.Future], Any]) -> None:
        with self._condition:
            if self._state not in _ENDED:
                if self._done_callbacks is None:
                    self._done_callbacks = []
                self._done_callbacks.append(fn)
                return
        super().add_done_callback(fn)  # ended: called now, as the base class does

    def _invoke_callbacks(self) -> None:
        if self._done_callbacks:
            super()._invoke_callbacks()

    def result(self, timeout: float | None = None) -> Any:
        self._wait_ended(timeout)
        return super().result(0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._wait_ended(timeout)
        return super().exception(0)


class EnginePool:
    """Up to `max_workers` threads (started as work arrives, while none is idle) calling
    `drive(engine)` for each submitted engine, in the context it was submitted from; `submit`
    gives a `SharedConditionFuture` of the call's outcome. A queued engine costs a future and a
    3-tuple (no work item, bound method or argument tuple of its own)."""

    def __init__(self, drive: Callable[[Any], Any], max_workers: int, thread_name_prefix: str) -> None:
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self._max_workers = max_workers  # the name Prefect's tests read on an executor
        self._drive = drive
        self._prefix = thread_name_prefix
        self._queue: SimpleQueue[_Item | None] = SimpleQueue()
        self._condition = threading.Condition()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._in_flight = 0  # submitted, not yet ended: from `collector.BACKLOG` on, GC relaxed
        self._relaxed = False
        self._closed = False

    def submit(self, engine: Any) -> SharedConditionFuture:
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future = SharedConditionFuture(self._condition)
        with self._lock:  # counted before it is queued: its end is never counted first
            self._in_flight += 1
            if self._in_flight >= collector.BACKLOG and not self._relaxed:
                self._relaxed = True
                collector.relax()
            if self._idle > 0:
                self._idle -= 1  # that thread takes this call
            elif len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._prefix}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._queue.put((future, contextvars.copy_context(), engine))
        return future

    def _work(self) -> None:
        queue, lock, drive = self._queue, self._lock, self._drive
        while True:
            item = queue.get()
            if item is None:
                return
            future, context, engine = item
            if future.set_running_or_notify_cancel():
                try:
                    outcome = context.run(drive, engine)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(outcome)
            item = future = context = engine = outcome = None  # hold no finished run while idle
            with lock:
                self._idle += 1
                self._in_flight -= 1
                if self._relaxed and self._in_flight == 0:
                    self._relaxed = False
                    collector.restore()

    def shutdown(self, wait: bool = True) -> None:
        """No more submissions; the queued calls still run; `wait`: until they have."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()
