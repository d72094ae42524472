"""Tasks: the `@task` decorator, a task's options, and how a call becomes a task run (the run
itself is driven by `task_engine.TaskRunEngine`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Generic, TypeVar, overload

from jupyter_orch.engine.context import TaskRunContext, flow_run_ctx
from jupyter_orch.engine.futures import PrefectConcurrentFuture, PrefectFutureList
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.orchestration import rules

R = TypeVar("R")


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """`retry_delay_seconds=exponential_backoff(10)` waits 10, 20, 40, ... seconds between retries."""

    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2**i for i in range(retries)]

    return delays


def _delays(retry_delay_seconds: Any, retries: int) -> float | list[float]:
    if callable(retry_delay_seconds):
        return [float(d) for d in retry_delay_seconds(retries)]
    if isinstance(retry_delay_seconds, (list, tuple)):
        return [float(d) for d in retry_delay_seconds]
    return float(retry_delay_seconds or 0)


class Task(Generic[R]):
    """A function whose calls are tracked as task runs (see `task`)."""

    def __init__(
        self,
        fn: Callable[..., R],
        name: str | None = None,
        retries: int = 0,
        retry_delay_seconds: float | list[float] | Callable[[int], list[float]] = 0,
        retry_jitter_factor: float | None = None,
        timeout_seconds: float | None = None,
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None = None,
        cache_expiration: timedelta | None = None,
        persist_result: bool | None = None,
        tags: Iterable[str] | None = None,
        log_prints: bool | None = None,
        description: str | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError("@task decorates a function")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "task")
        self.retries = int(retries or 0)
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_jitter_factor = retry_jitter_factor
        self.timeout_seconds = timeout_seconds
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.persist_result = persist_result
        self.tags = frozenset(tags or ())
        self.tag_list = sorted(self.tags)  # shared by every row this task writes; never mutated
        self.log_prints = log_prints
        self.description = description or inspect.getdoc(fn)
        self.is_async = inspect.iscoroutinefunction(fn)
        self.task_key = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', self.name)}"[:255]
        self.policy = rules.RunPolicy(
            self.retries, _delays(retry_delay_seconds, self.retries), retry_jitter_factor
        )
        self.policy_dict = self.policy.to_dict()
        self.caching = cache_key_fn is not None or cache_expiration is not None
        self.signature = inspect.signature(fn)
        kinds = {p.kind for p in self.signature.parameters.values()}
        # a body callable as fn(**parameters): the fast path
        self.keyword_callable = not kinds & {
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        }
        # parameter names when a plain positional call maps straight onto them (the fast bind)
        params = list(self.signature.parameters.values())
        self._positional_names = (
            tuple(p.name for p in params)
            if all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
            else None
        )
        self._source: str | None = None
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def source(self) -> str:
        if self._source is None:
            from jupyter_orch.engine.caching import source_of

            self._source = source_of(self.fn)
        return self._source

    def with_options(self, **changes: Any) -> Task[R]:
        """A copy of this task with some options changed."""
        options = {
            "name": self.name,
            "retries": self.retries,
            "retry_delay_seconds": self.retry_delay_seconds,
            "retry_jitter_factor": self.retry_jitter_factor,
            "timeout_seconds": self.timeout_seconds,
            "cache_key_fn": self.cache_key_fn,
            "cache_expiration": self.cache_expiration,
            "persist_result": self.persist_result,
            "tags": self.tags,
            "log_prints": self.log_prints,
            "description": self.description,
        }
        unknown = set(changes) - set(options)
        if unknown:
            raise TypeError(f"unknown task option(s): {', '.join(sorted(unknown))}")
        options.update(changes)
        return Task(self.fn, **options)

    # -- calling ------------------------------------------------------------------------------------
    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        names = self._positional_names
        if not kwargs and names is not None and len(args) == len(names):
            return dict(zip(names, args, strict=True))
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments

    def call_body(self, parameters: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """(args, kwargs) to call the body with."""
        if self.keyword_callable:
            return (), parameters
        bound = inspect.BoundArguments(self.signature, parameters)  # type: ignore[arg-type]
        return bound.args, bound.kwargs

    def __call__(
        self, *args: Any, return_state: bool = False, wait_for: Iterable[Any] | None = None, **kwargs: Any
    ) -> Any:
        """Run the task inline; its result (or final state with `return_state=True`)."""
        flow_ctx = flow_run_ctx.get()
        engine = TaskRunEngine(self, flow_ctx, self.bind(args, kwargs), wait_for)
        if self.is_async:
            coro = _finish_async(engine, return_state)
            # in an async flow (or outside flows, like any async function) the caller awaits;
            # in a sync flow we block, on a background loop if one already runs in this thread
            if flow_ctx is None or flow_ctx.is_async:
                return coro
            from jupyter_orch.engine.asyncutils import run_coro_sync

            return run_coro_sync(coro)
        state = engine.run_sync()
        return state if return_state else state.result()

    def submit(
        self, *args: Any, return_state: bool = False, wait_for: Iterable[Any] | None = None, **kwargs: Any
    ) -> PrefectConcurrentFuture[R]:
        """Run the task on the flow's task runner; returns a future at once."""
        flow_ctx = flow_run_ctx.get()
        if flow_ctx is None:
            raise RuntimeError(
                f"{self.name}.submit() must be called inside a flow (to run a task in the "
                "background outside a flow, use .delay())"
            )
        engine = TaskRunEngine(self, flow_ctx, self.bind(args, kwargs), wait_for)
        future = PrefectConcurrentFuture(engine.id, flow_ctx.task_runner.submit_engine(engine), engine)
        return future.final_state() if return_state else future  # type: ignore[return-value]

    def map(
        self,
        *args: Any,
        return_state: bool = False,
        wait_for: Iterable[Any] | None = None,
        deferred: bool = False,
        **kwargs: Any,
    ) -> PrefectFutureList[R]:
        """One submitted run per element of the iterable arguments (see `engine.mapping`);
        background runs for task workers (`.apply_async`) outside a flow or with `deferred=True`."""
        from jupyter_orch.engine.mapping import expand

        flow_ctx = flow_run_ctx.get()
        futures: PrefectFutureList[R] = PrefectFutureList()
        if flow_ctx is None or deferred:
            for params in expand(self.name, self.signature, args, kwargs):
                futures.append(self.apply_async(kwargs=params, wait_for=wait_for))
            return futures
        submit = flow_ctx.task_runner.submit_engine
        for params in expand(self.name, self.signature, args, kwargs):
            engine = TaskRunEngine(self, flow_ctx, params, wait_for)
            futures.append(PrefectConcurrentFuture(engine.id, submit(engine), engine))
        if return_state:
            return [f.final_state() for f in futures]  # type: ignore[return-value]
        return futures

    def apply_async(
        self,
        args: tuple | None = None,
        kwargs: dict[str, Any] | None = None,
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> Any:
        """Schedule a background run for a task worker (`jupyter_orch.task_worker.serve`); returns
        a `PrefectDistributedFuture` at once."""
        from jupyter_orch.engine.background import apply_async

        return apply_async(self, args, kwargs, wait_for)

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        """`apply_async(args, kwargs)`: a background run of this task for a task worker."""
        return self.apply_async(args, kwargs)

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


async def _finish_async(engine: TaskRunEngine, return_state: bool) -> Any:
    state = await engine.run_async()
    return state if return_state else state.result()


@overload
def task(__fn: Callable[..., R]) -> Task[R]: ...


@overload
def task(**options: Any) -> Callable[[Callable[..., R]], Task[R]]: ...


def task(__fn: Any = None, **options: Any) -> Any:
    """Decorate a function as a task: `@task` or `@task(retries=2, ...)`; see `Task`."""
    if __fn is not None:
        return Task(__fn, **options)
    return lambda fn: Task(fn, **options)


__all__ = ["Task", "exponential_backoff", "task"]
