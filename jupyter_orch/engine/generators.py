"""Generator tasks and flows: a `@task` or `@flow` over a generator function (sync or async) is
called like the function, and its run follows the consumption of what the call returns.

The run is RUNNING from the first value asked for until the body is exhausted (COMPLETED, its
`return` value as the result), raises (FAILED, or a retry that starts the body again and yields
its values again) or is closed early by the consumer (COMPLETED). Between values the task-run
context stays set (the flow-run context, for a flow), so task runs the consumer makes from a value
record the generator's run as their parent and upstream, as Prefect's. The run's
`timeout_seconds` bounds the time each attempt spends in the body."""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import AsyncGenerator, Generator, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from jupyter_orch.engine.attempts import run_inline, sleep_async, sleep_sync
from jupyter_orch.engine.task_drivers import enter_task, exit_task, hold_slots, release_slots
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.timeouts import TaskRunTimeout, await_with_timeout, interrupt

# a FlowRunEngine; not imported, even for type checking: the flow engine imports tasks, which
# import this module, and that import would close a circle
FlowRunEngine = Any


def _return_type_error(kind: str) -> ValueError:
    return ValueError(f"The return_type for a generator {kind} must be 'result'")


class _SyncBody:
    """One attempt's generator, stepped within the run's time limit. The body runs in the
    consumer's thread, piece by piece: a timer armed while it runs raises TimeoutError in that
    thread once the limit has passed (as `timeouts` does for a body in a thread of its own)."""

    def __init__(self, gen: Generator[Any, Any, Any], seconds: float | None, kind: str) -> None:
        self.gen, self.seconds, self.kind = gen, seconds, kind
        self.until = None if seconds is None else time.monotonic() + seconds
        self._lock = threading.Lock()
        self._armed = False

    def step(self) -> Any:
        """The next value (StopIteration at the end), within what is left of the limit."""
        if self.until is None:
            return next(self.gen)
        left = self.until - time.monotonic()
        if left <= 0:
            raise TaskRunTimeout(self.kind, self.seconds)  # type: ignore[arg-type]
        timer = threading.Timer(left, self._fire, (threading.current_thread(),))
        self._armed = True
        timer.start()
        try:
            value = next(self.gen)
            self._disarm(timer)
            return value
        except TimeoutError:
            self._disarm(timer)
            if time.monotonic() >= self.until:
                raise TaskRunTimeout(self.kind, self.seconds) from None  # type: ignore[arg-type]
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


class _AsyncBody:
    """One attempt's async generator, stepped within the run's time limit (cancelled at it)."""

    def __init__(self, agen: AsyncGenerator[Any, Any], seconds: float | None, kind: str) -> None:
        self.agen, self.seconds, self.kind = agen, seconds, kind
        self.until = None if seconds is None else time.monotonic() + seconds

    async def step(self) -> Any:
        """The next value (StopAsyncIteration at the end), within what is left of the limit."""
        if self.until is None:
            return await self.agen.__anext__()
        try:
            return await await_with_timeout(self.agen.__anext__(), max(0.0, self.until - time.monotonic()))
        except TaskRunTimeout:
            raise TaskRunTimeout(self.kind, self.seconds) from None  # type: ignore[arg-type]


def generator_kind(fn: Any) -> str | None:
    """Whether `fn` is a generator function: "sync" or "async" for one, else None."""
    if inspect.isgeneratorfunction(fn):
        return "sync"
    return "async" if inspect.isasyncgenfunction(fn) else None


# -- tasks ------------------------------------------------------------------------------------------
def run_generator(engine: TaskRunEngine, return_state: bool) -> Any:
    """The call of a generator task: a generator, or an async one for an async generator body."""
    if engine.task.generator == "sync":
        return _task_generator_sync(engine, return_state)
    return _task_generator_async(engine, return_state)


def _task_generator_sync(engine: TaskRunEngine, return_state: bool) -> Generator[Any, Any, Any]:
    """Yield what the generator task's body yields, driving its run (see the module)."""
    final = _begin_task(engine, return_state)
    if final is not None:  # a cached run: nothing to yield, its result returned
        return final.result()
    with _task_running(engine):
        while True:
            body = _SyncBody(_task_attempt(engine), engine.task.timeout_seconds, "Task")
            try:
                while True:
                    yield _linked(engine, body.step())
            except BaseException as exc:
                if isinstance(exc, GeneratorExit):  # the consumer stopped early: the run is done
                    body.gen.close()
                delay = _end_attempt(engine, exc)
                if delay is None:
                    return getattr(exc, "value", None)
                if delay:
                    run_inline(sleep_sync(delay))


async def _task_generator_async(engine: TaskRunEngine, return_state: bool) -> AsyncGenerator[Any, Any]:
    """The async generator task's values, driving its run as `_task_generator_sync` does."""
    if _begin_task(engine, return_state) is not None:
        return
    with _task_running(engine):
        while True:
            body = _AsyncBody(_task_attempt(engine), engine.task.timeout_seconds, "Task")
            try:
                while True:
                    yield _linked(engine, await body.step())
            except BaseException as exc:
                if isinstance(exc, GeneratorExit):
                    await body.agen.aclose()
                delay = _end_attempt(engine, exc)
                if delay is None:
                    return
                if delay:
                    await sleep_async(delay)


def _begin_task(engine: TaskRunEngine, return_state: bool) -> Any:
    """PENDING, inputs resolved, cache consulted: the final state if the body must not run."""
    if return_state:
        raise _return_type_error("task")
    return engine.begin()


@contextmanager
def _task_running(engine: TaskRunEngine) -> Iterator[None]:
    """The task's concurrency slots and run context, held while its generator is consumed."""
    held, tokens = hold_slots(engine), enter_task(engine)
    try:
        yield
    finally:
        # a generator the garbage collector closes may be finalized in another context, where
        # the context's tokens cannot be reset: what it set then goes with that context
        with suppress(ValueError):
            exit_task(engine, tokens)
        release_slots(engine, held)


def _task_attempt(engine: TaskRunEngine) -> Any:
    """RUNNING (or Retrying) for an attempt; the body's generator."""
    engine.begin_run()
    args, kwargs = engine.task.call_body(engine.parameters)
    return engine.task.fn(*args, **kwargs)


def _linked(engine: TaskRunEngine, value: Any) -> Any:
    """A yielded value, as the generator run's result for dependency tracking (Prefect's)."""
    if engine.flow_ctx is not None:
        engine.flow_ctx.link_result(value, engine.id)
    return value


# -- both -------------------------------------------------------------------------------------------
def _end_attempt(engine: TaskRunEngine | FlowRunEngine, exc: BaseException) -> float | None:
    """Record how an attempt ended: None once the run completed (the body returned, or the
    consumer closed it early), else the seconds to wait before the body starts again; an
    exception that ends the run (retries exhausted), or interrupts it, is raised again."""
    if isinstance(exc, (StopIteration, StopAsyncIteration, GeneratorExit)):
        engine.succeed(getattr(exc, "value", None))
        return None
    if not isinstance(exc, Exception):
        engine.crash(exc)
        raise exc
    delay = engine.fail(exc)
    if delay is None:
        raise exc
    return delay


# -- flows ------------------------------------------------------------------------------------------
def run_flow_generator(engine: FlowRunEngine, return_state: bool) -> Any:
    """The call of a generator flow: a generator, or an async one for an async generator body."""
    if return_state:
        raise _return_type_error("flow")
    if engine.flow.generator == "sync":
        return _flow_generator_sync(engine)
    return _flow_generator_async(engine)


def _flow_generator_sync(engine: FlowRunEngine) -> Generator[Any, Any, Any]:
    """Yield what the generator flow's body yields, driving its run (see the module)."""
    _begin_flow(engine)
    while True:
        tokens, gen = _flow_attempt(engine)
        body = _SyncBody(gen, engine.flow.timeout_seconds, "Flow")
        try:
            while True:
                yield body.step()
        except BaseException as exc:
            if isinstance(exc, GeneratorExit):
                gen.close()
            _leave_flow(engine, tokens)
            delay = _end_attempt(engine, exc)
            if delay is None:
                return getattr(exc, "value", None)
            if delay:
                run_inline(sleep_sync(delay))
            engine._start(retrying=True)


async def _flow_generator_async(engine: FlowRunEngine) -> AsyncGenerator[Any, Any]:
    """The async generator flow's values, driving its run as `_flow_generator_sync` does."""
    _begin_flow(engine)
    while True:
        tokens, agen = _flow_attempt(engine)
        try:
            body = _AsyncBody(agen, engine.flow.timeout_seconds, "Flow")
            while True:
                yield await body.step()
        except BaseException as exc:
            if isinstance(exc, GeneratorExit):
                await agen.aclose()
            _leave_flow(engine, tokens)
            delay = _end_attempt(engine, exc)
            if delay is None:
                return
            if delay:
                await sleep_async(delay)
            engine._start(retrying=True)


def _begin_flow(engine: FlowRunEngine) -> None:
    """The run created and RUNNING (its parameters' validation error raised)."""
    error = engine.begin()
    if error is not None:
        raise error


def _flow_attempt(engine: FlowRunEngine) -> tuple[tuple[Any, Any, Any], Any]:
    """Enter the run's context for an attempt; the tokens to leave it, and the body's generator."""
    tokens = engine._enter()
    args, kwargs = engine.flow.parameters.call_args(engine.params)
    return tokens, engine.flow.fn(*args, **kwargs)


def _leave_flow(engine: FlowRunEngine, tokens: tuple[Any, Any, Any]) -> None:
    # see _task_running: a generator finalized in another context cannot reset this one's
    with suppress(ValueError):
        engine._exit(tokens)


__all__ = ["generator_kind", "run_flow_generator", "run_generator"]
