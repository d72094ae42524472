"""Generator tasks: a `@task` over a generator function (sync or async) is called like the
function, and its run follows the consumption of what the call returns.

The run is RUNNING from the first value asked for until the body is exhausted (COMPLETED, its
`return` value as the result), raises (FAILED, or a retry that starts the body again and yields
its values again) or is closed early by the consumer (COMPLETED). Between values the task-run
context stays set, so task runs the consumer makes from a value record the generator's run as
their parent and upstream, as Prefect's. The run's `timeout_seconds` bounds the time spent in the
body."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import AsyncGenerator, Generator
from contextlib import suppress
from typing import Any

from jupyter_orch.engine.attempts import run_inline, sleep_async, sleep_sync
from jupyter_orch.engine.task_drivers import enter_task, exit_task, hold_slots, release_slots
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.timeouts import TaskRunTimeout, await_with_timeout, interrupt, timeout_message

RETURN_TYPE_ERROR = "The return_type for a generator task must be 'result'"


class _Deadline:
    """The run's time limit over a sync body that runs in the consumer's thread, piece by piece:
    armed while the body runs, it raises TimeoutError in that thread once the limit passes."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.until = None if seconds is None else time.monotonic() + seconds
        self._lock = threading.Lock()
        self._armed = False

    def step(self, gen: Generator[Any, Any, Any]) -> Any:
        """`next(gen)` within what is left of the limit."""
        if self.until is None:
            return next(gen)
        left = self.until - time.monotonic()
        if left <= 0:
            raise TaskRunTimeout(timeout_message("Task", self.seconds))  # type: ignore[arg-type]
        timer = threading.Timer(left, self._fire, (threading.current_thread(),))
        self._armed = True
        timer.start()
        try:
            value = next(gen)
            self._disarm(timer)
            return value
        except TimeoutError:
            self._disarm(timer)
            if time.monotonic() >= self.until:
                raise TaskRunTimeout(timeout_message("Task", self.seconds)) from None  # type: ignore[arg-type]
            raise
        except BaseException:
            self._disarm(timer)
            raise

    def _fire(self, thread: threading.Thread) -> None:
        with self._lock:
            if self._armed:
                interrupt(thread)

    def _disarm(self, timer: threading.Timer) -> None:
        with self._lock:
            self._armed = False
        timer.cancel()


def generator_kind(fn: Any) -> str | None:
    """Whether `fn` is a generator function: "sync" or "async" for one (a generator task), else None."""
    if inspect.isgeneratorfunction(fn):
        return "sync"
    return "async" if inspect.isasyncgenfunction(fn) else None


def run_generator(engine: TaskRunEngine, return_state: bool) -> Any:
    """The call of a generator task: a generator, or an async one for an async generator body."""
    run = run_generator_sync if engine.task.generator == "sync" else run_generator_async
    return run(engine, return_state)


def run_generator_sync(engine: TaskRunEngine, return_state: bool) -> Generator[Any, Any, Any]:
    """Yield what the generator task's body yields, driving its run (see the module)."""
    if return_state:
        raise ValueError(RETURN_TYPE_ERROR)
    final = engine.begin()
    if final is not None:  # a cached run: nothing to yield, its result returned
        return final.result()
    held = hold_slots(engine)
    tokens = enter_task(engine)
    try:
        args, kwargs = engine.task.call_body(engine.parameters)
        deadline = _Deadline(engine.task.timeout_seconds)
        while True:
            engine.begin_run()
            gen = engine.task.fn(*args, **kwargs)
            try:
                while True:
                    value = deadline.step(gen)
                    _link(engine, value)
                    yield value
            except StopIteration as stop:
                engine.succeed(stop.value)
                return stop.value
            except GeneratorExit:  # the consumer stopped early: the run is done
                gen.close()
                engine.succeed(None)
                raise
            except Exception as exc:
                delay = _retry_delay(engine, exc)
                if delay:
                    run_inline(sleep_sync(delay))
            except BaseException as exc:
                engine.crash(exc)
                raise
    finally:
        _leave(engine, tokens, held)


async def run_generator_async(engine: TaskRunEngine, return_state: bool) -> AsyncGenerator[Any, Any]:
    """The async generator task's values, driving its run as `run_generator_sync` does."""
    if return_state:
        raise ValueError(RETURN_TYPE_ERROR)
    final = engine.begin()
    if final is not None:
        return
    held = hold_slots(engine)
    tokens = enter_task(engine)
    try:
        args, kwargs = engine.task.call_body(engine.parameters)
        seconds = engine.task.timeout_seconds
        until = None if seconds is None else time.monotonic() + seconds
        while True:
            engine.begin_run()
            gen = engine.task.fn(*args, **kwargs)
            try:
                while True:
                    value = await _anext_within(gen, until, seconds)
                    _link(engine, value)
                    yield value
            except StopAsyncIteration:
                engine.succeed(None)
                return
            except GeneratorExit:
                await gen.aclose()
                engine.succeed(None)
                raise
            except Exception as exc:
                delay = _retry_delay(engine, exc)
                if delay:
                    await sleep_async(delay)
            except BaseException as exc:
                engine.crash(exc)
                raise
    finally:
        _leave(engine, tokens, held)


async def _anext_within(gen: AsyncGenerator[Any, Any], until: float | None, seconds: float | None) -> Any:
    """The next value, within what is left of the run's limit (TimeoutError naming the limit)."""
    if until is None:
        return await gen.__anext__()
    try:
        return await await_with_timeout(gen.__anext__(), max(0.0, until - time.monotonic()))
    except TaskRunTimeout:
        raise TaskRunTimeout(timeout_message("Task", seconds)) from None  # type: ignore[arg-type]


def _retry_delay(engine: TaskRunEngine, exc: Exception) -> float:
    """Seconds to wait before the body starts again; `exc` raised when the run is final."""
    delay = engine.fail(exc)
    if delay is None:
        raise exc
    return delay


def _link(engine: TaskRunEngine, value: Any) -> None:
    """A yielded value is the generator run's result for dependency tracking (Prefect's)."""
    if engine.flow_ctx is not None:
        engine.flow_ctx.link_result(value, engine.id)


def _leave(engine: TaskRunEngine, tokens: tuple[Any, Any], held: list[str]) -> None:
    # a generator closed by the garbage collector may be finalized in another context, where
    # its context tokens cannot be reset: the context it set then goes with that one
    with suppress(ValueError):
        exit_task(engine, tokens)
    release_slots(engine, held)


__all__ = [
    "RETURN_TYPE_ERROR",
    "generator_kind",
    "run_generator",
    "run_generator_async",
    "run_generator_sync",
]
