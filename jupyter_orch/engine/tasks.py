"""Tasks: the `@task` decorator, a task's options, and how a call becomes a task run (the run
itself is driven by `task_engine.TaskRunEngine`)."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Generic, TypeVar, overload

from jupyter_orch.annotations import NotSet, unmapped
from jupyter_orch.cache_policies import (
    DEFAULT,
    NO_CACHE,
    CacheKeyFnPolicy,
    CachePolicy,
    hash_objects,
    source_of,
)
from jupyter_orch.engine.background_methods import BackgroundMethods
from jupyter_orch.engine.context import TaskRunContext, flow_run_ctx
from jupyter_orch.engine.futures import PrefectConcurrentFuture, PrefectFutureList
from jupyter_orch.engine.generators import generator_kind, run_generator
from jupyter_orch.engine.mapping import expand
from jupyter_orch.engine.methods import NOT_BOUND, UNSET, Decorated, decorator, decorator_signature, given
from jupyter_orch.engine.task_drivers import run_task_async, run_task_sync
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.exceptions import check_reserved
from jupyter_orch.orchestration import rules
from jupyter_orch.results import serializer_name
from jupyter_orch.settings import PREFECT_TASK_DEFAULT_RETRIES, PREFECT_TASK_DEFAULT_RETRY_DELAY_SECONDS

R = TypeVar("R")
_NO_TAGS: list[str] = []  # shared by the runs of every task without tags; never mutated
logger = logging.getLogger("jupyter_orch.tasks")


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """`retry_delay_seconds=exponential_backoff(10)` waits 10, 20, 40, ... seconds between retries."""

    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2**i for i in range(retries)]

    return delays


def _check_options(run_name: Any, delays: Any, jitter: float | None, condition: Any) -> None:
    """The TypeErrors and ValueErrors Prefect raises for options it cannot use, when the task is made."""
    if run_name is not None and not isinstance(run_name, str) and not callable(run_name):
        got = type(run_name).__name__
        raise TypeError(f"Expected string or callable for 'task_run_name'; got {got} instead.")
    if isinstance(delays, (list, tuple)) and len(delays) > 50:
        raise ValueError("Can not configure more than 50 retry delays per task.")
    if jitter is not None and jitter < 0:
        raise ValueError("`retry_jitter_factor` must be >= 0.")
    if condition is not None and not callable(condition):
        raise TypeError(
            f"Expected `retry_condition_fn` to be callable, got {type(condition).__name__} instead."
        )


def _delays(retry_delay_seconds: Any, retries: int) -> float | list[float]:
    if callable(retry_delay_seconds):
        return [float(d) for d in retry_delay_seconds(retries)]
    if isinstance(retry_delay_seconds, (list, tuple)):
        return [float(d) for d in retry_delay_seconds]
    return float(retry_delay_seconds or 0)


def _cache_policy_of(name: str, policy: Any, key_fn: Any, persist: Any, storage_key: Any) -> Any:
    """The policy a task caches by (Prefect's rules, saying when an option is overridden): its
    `cache_key_fn` if any, none when results are not persisted, else the one given or DEFAULT."""
    given = policy is not None and policy is not NotSet and policy is not NO_CACHE
    if key_fn is not None:
        if given:
            logger.warning(
                "Both `cache_policy` and `cache_key_fn` are set on task %r: `cache_key_fn` will be used.",
                name,
            )
        return CacheKeyFnPolicy(key_fn)
    if persist is False:
        if given:
            logger.warning("Ignoring `cache_policy` because `persist_result` is False (task %r).", name)
        return None if policy is None else NO_CACHE  # None given stays None, as Prefect's
    if policy is NotSet:
        # the rendered `result_storage_key` is the cache key (Prefect: no policy)
        return None if storage_key is not None else DEFAULT
    return policy


class Task(BackgroundMethods, Decorated, Generic[R]):
    """A function whose calls are tracked as task runs (see `task`); options as Prefect's."""

    def __init__(
        self,
        fn: Callable[..., R],
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] | None = None,
        version: str | None = None,
        cache_policy: CachePolicy | type[NotSet] | None = NotSet,  # None given: no caching
        cache_key_fn: Callable[[TaskRunContext, dict[str, Any]], str | None] | None = None,
        cache_expiration: timedelta | None = None,
        task_run_name: str | Callable[..., str] | None = None,
        retries: int | None = None,
        retry_delay_seconds: float | list[float] | Callable[[int], list[float]] | None = None,
        retry_jitter_factor: float | None = None,
        persist_result: bool | None = None,
        result_storage: Any = None,
        result_serializer: Any = None,
        result_storage_key: str | None = None,
        cache_result_in_memory: bool = True,
        timeout_seconds: float | None = None,
        log_prints: bool | None = None,
        refresh_cache: bool | None = None,
        on_completion: list[Callable[..., Any]] | None = None,
        on_failure: list[Callable[..., Any]] | None = None,
        on_running: list[Callable[..., Any]] | None = None,
        on_commit: list[Callable[..., Any]] | None = None,
        on_rollback: list[Callable[..., Any]] | None = None,
        retry_condition_fn: Callable[..., bool] | None = None,
        viz_return_value: Any = None,
    ) -> None:
        fn = self._unwrap(fn, "task")
        self.name = name or getattr(fn, "__name__", "task")
        self.description = description or inspect.getdoc(fn)
        self.version = version
        self.retries = int(retries if retries is not None else PREFECT_TASK_DEFAULT_RETRIES.value() or 0)
        if retry_delay_seconds is None:
            retry_delay_seconds = PREFECT_TASK_DEFAULT_RETRY_DELAY_SECONDS.value()
        # a callable (`exponential_backoff(...)`) gives its list for these retries, as Prefect's
        delays = retry_delay_seconds(self.retries) if callable(retry_delay_seconds) else retry_delay_seconds
        self.retry_delay_seconds = delays or 0
        self.retry_jitter_factor = retry_jitter_factor
        self.timeout_seconds = timeout_seconds
        self.tags = set(tags or ())  # a set the caller may change, as Prefect's
        self.log_prints = log_prints
        _check_options(task_run_name, retry_delay_seconds, retry_jitter_factor, retry_condition_fn)
        self.task_run_name = task_run_name
        self.retry_condition_fn = retry_condition_fn
        self.refresh_cache = refresh_cache
        self.viz_return_value = viz_return_value
        hooks = {"on_completion": on_completion, "on_failure": on_failure, "on_running": on_running}
        self._set_hooks(**hooks, on_commit=on_commit, on_rollback=on_rollback)
        # the same lists as attributes: the task engine's checks, on every run
        self.on_completion_hooks = self.hooks["on_completion"]
        self.on_failure_hooks = self.hooks["on_failure"]
        self.on_running_hooks = self.hooks["on_running"]
        self._set_results(
            cache_policy, cache_key_fn, cache_expiration, persist_result, result_storage,
            result_serializer, result_storage_key, cache_result_in_memory,
        )  # fmt: skip
        self.is_async = inspect.iscoroutinefunction(fn)
        # Prefect's shape, "name-hash": the function's own name, and a digest of where it is defined
        qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        where = hash_objects(getattr(fn, "__module__", None) or "", qualname)[:8]
        self.task_key = f"{qualname.rsplit('.', 1)[-1]}-{where}"[:255]
        self.policy = rules.RunPolicy(
            self.retries, _delays(self.retry_delay_seconds, self.retries), retry_jitter_factor
        )
        self.policy_dict = self.policy.to_dict()
        check_reserved(fn, ("return_state", "wait_for"))
        self._set_signature(fn)
        self._source: tuple[Any, str] | None = None  # (fn, its source)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def _set_results(
        self,
        cache_policy: CachePolicy | None,
        cache_key_fn: Any,
        cache_expiration: timedelta | None,
        persist_result: bool | None,
        result_storage: Any,
        result_serializer: Any,
        result_storage_key: str | None,
        cache_result_in_memory: bool,
    ) -> None:
        """Caching and result options, resolved as Prefect does: asking for a cache, a storage or
        a serializer persists results; a persisted task caches with DEFAULT unless told not to."""
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.result_storage = result_storage  # a policy's `key_storage` holds records, not values
        self.result_serializer = result_serializer
        self.serializer = serializer_name(result_serializer)
        self.result_storage_key = result_storage_key
        self.cache_result_in_memory = cache_result_in_memory
        explicit = cache_key_fn is not None or all(cache_policy is not p for p in (None, NotSet, NO_CACHE))
        asked = explicit or cache_expiration is not None or result_storage_key is not None
        if persist_result is None and (asked or result_storage is not None or result_serializer is not None):
            persist_result = True
        if persist_result is None and not cache_result_in_memory:
            persist_result = True  # the value lives nowhere else
        self.persist_result = persist_result
        self.cache_policy = cache_policy = _cache_policy_of(
            self.name, cache_policy, cache_key_fn, persist_result, result_storage_key
        )
        #: whether calls consult the cache (when the task's results persist)
        self.caching = cache_policy not in (None, NO_CACHE) or result_storage_key is not None

    def _set_signature(self, fn: Callable[..., Any]) -> None:
        self.signature = inspect.signature(fn)
        self.input_names = tuple(self.signature.parameters)  # a run's task_inputs list each
        self.no_inputs = {name: [] for name in self.input_names}  # shared, read-only: runs copy on write
        kinds = {p.kind for p in self.signature.parameters.values()}
        # a body callable as fn(**parameters): the fast path
        kind = inspect.Parameter
        self.keyword_callable = not kinds & {kind.POSITIONAL_ONLY, kind.VAR_POSITIONAL, kind.VAR_KEYWORD}
        self.generator = generator_kind(fn)  # a generator task's call yields as its body does
        # parameter names when a plain positional call maps straight onto them (the fast bind)
        params = list(self.signature.parameters.values())
        plain = all(p.kind is kind.POSITIONAL_OR_KEYWORD for p in params)
        self._positional_names = tuple(p.name for p in params) if plain else None

    @property
    def tag_list(self) -> list[str]:
        """The tags a run records, sorted (read at each call: `tags` may have changed)."""
        return sorted(self.tags) if self.tags else _NO_TAGS

    @property
    def source(self) -> str:
        """The body's source (read again when `fn` was replaced)."""
        fn = self.fn
        if self._source is None or self._source[0] is not fn:
            self._source = (fn, source_of(fn))
        return self._source[1]

    def options(self) -> dict[str, Any]:
        options = super().options()
        if self.cache_key_fn is not None:
            options["cache_policy"] = NotSet  # made from the key function, not given
        return options

    def with_options(
        self,
        *,
        name: str = UNSET,
        description: str | None = UNSET,
        tags: Iterable[str] = UNSET,
        cache_policy: CachePolicy | None = UNSET,
        cache_key_fn: Callable[..., str | None] | None = UNSET,
        cache_expiration: timedelta | None = UNSET,
        task_run_name: str | Callable[..., str] | None = UNSET,
        retries: int | None = UNSET,
        retry_delay_seconds: float | list[float] | Callable[[int], list[float]] | None = UNSET,
        retry_jitter_factor: float | None = UNSET,
        persist_result: bool | None = UNSET,
        result_storage: Any = UNSET,
        result_serializer: Any = UNSET,
        result_storage_key: str | None = UNSET,
        cache_result_in_memory: bool = UNSET,
        timeout_seconds: float | None = UNSET,
        log_prints: bool | None = UNSET,
        refresh_cache: bool | None = UNSET,
        on_completion: list[Callable[..., Any]] | None = UNSET,
        on_failure: list[Callable[..., Any]] | None = UNSET,
        on_running: list[Callable[..., Any]] | None = UNSET,
        on_commit: list[Callable[..., Any]] | None = UNSET,
        on_rollback: list[Callable[..., Any]] | None = UNSET,
        retry_condition_fn: Callable[..., bool] | None = UNSET,
        viz_return_value: Any = UNSET,
    ) -> Task[R]:
        """A copy of this task with the given options changed (the rest kept)."""
        changes = given(locals())
        if "cache_policy" in changes:
            changes.setdefault("cache_key_fn", None)  # a new policy replaces the old key function
        return self._copy_with(changes)

    # -- transactions: the run's result is staged in one, these hooks get it (`hook(txn)`) ---------
    def on_commit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_commit", fn)

    def on_rollback(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_rollback", fn)

    # -- calling ------------------------------------------------------------------------------------
    def bind(self, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self._bound_to is not NOT_BOUND:
            args = (self._bound_to, *args)
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
        if self.generator is not None:
            return run_generator(engine, return_state)
        if self.is_async:
            coro = _finish_async(engine, return_state)
            # in an async flow (or outside flows, like any async function) the caller awaits;
            # in a sync flow we block, on a background loop if one already runs in this thread
            if flow_ctx is None or flow_ctx.is_async:
                return coro
            from jupyter_orch.engine.asyncutils import run_coro_sync  # heavy: asyncio, async only

            return run_coro_sync(coro)
        state = run_task_sync(engine)
        return state if return_state else state.value()  # result() from this sync frame: the same

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
        background runs for task workers (`.apply_async`) with `deferred=True`. Outside a flow
        there is no task runner: a RuntimeError unless deferred, as Prefect's."""
        if self._bound_to is not NOT_BOUND:
            args = (unmapped(self._bound_to), *args)
        flow_ctx = flow_run_ctx.get()
        futures: PrefectFutureList[R] = PrefectFutureList()
        if deferred:
            for params in expand(self.name, self.signature, args, kwargs):
                futures.append(self.apply_async(kwargs=params, wait_for=wait_for))
            return futures
        if flow_ctx is None:
            raise RuntimeError(
                "Unable to determine task runner to use for mapped task runs. If you are mapping a task "
                "outside of a flow, please provide `deferred=True` to submit the mapped task runs for "
                "deferred execution."
            )
        submit = flow_ctx.task_runner.submit_engine
        for params in expand(self.name, self.signature, args, kwargs):
            engine = TaskRunEngine(self, flow_ctx, params, wait_for)
            futures.append(PrefectConcurrentFuture(engine.id, submit(engine), engine))
        if return_state:
            return [f.final_state() for f in futures]  # type: ignore[return-value]
        return futures

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


async def _finish_async(engine: TaskRunEngine, return_state: bool) -> Any:
    state = await run_task_async(engine)
    return state if return_state else state.value()


@overload
def task(__fn: Callable[..., R]) -> Task[R]: ...


@overload
def task(**options: Any) -> Callable[[Callable[..., R]], Task[R]]: ...


def task(__fn: Any = None, **options: Any) -> Any:
    """Decorate a function as a task: `@task` or `@task(retries=2, ...)`; see `Task`."""
    return decorator(Task, __fn, options)


#: the options `@task(...)` takes, as Prefect's decorator lists them: `with_options`' and version
task.__signature__ = decorator_signature(Task.with_options, ("version",))  # type: ignore[attr-defined]


__all__ = ["Task", "exponential_backoff", "task"]
