"""Tasks: the `@task` decorator and the engine that runs one task run.

A task run's state lives in memory (the engine is its only writer); each transition is judged by
`rules.TASK_RUN_RULES` in-process and then handed to the client's batch writer as a snapshot of
the run row plus one state row. No database call happens on this path, which is what keeps the
per-task overhead in microseconds.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, overload

from jupyter_orch.engine.context import FlowRunContext, TaskRunContext, flow_run_ctx, task_run_ctx
from jupyter_orch.engine.exceptions import UpstreamFailed
from jupyter_orch.engine.futures import TaskFuture, has_futures, resolve, unmapped, upstream_by_identity
from jupyter_orch.engine.timeouts import (
    TaskRunTimeout,
    await_with_timeout,
    call_with_timeout,
    is_cancellation,
)
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.serialize import state_data
from jupyter_orch.states import (
    Cached,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Pending,
    Retrying,
    Running,
    State,
    TimedOut,
    new_uuid,
    utcnow,
)

R = TypeVar("R")

_ACCEPTED = (rules.ACCEPT, rules.REJECT)
_loose_counter = itertools.count()  # dynamic keys of task runs outside any flow run


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
    ) -> TaskFuture:
        """Run the task on the flow's task runner; returns a future at once."""
        flow_ctx = flow_run_ctx.get()
        if flow_ctx is None:
            raise RuntimeError(f"{self.name}.submit() must be called inside a flow")
        engine = TaskRunEngine(self, flow_ctx, self.bind(args, kwargs), wait_for)
        return TaskFuture(engine, flow_ctx.task_runner.submit(engine))

    def map(self, *args: Any, wait_for: Iterable[Any] | None = None, **kwargs: Any) -> list[TaskFuture]:
        """One submitted run per element of the iterable arguments (others via `unmapped`)."""
        flow_ctx = flow_run_ctx.get()
        if flow_ctx is None:
            raise RuntimeError(f"{self.name}.map() must be called inside a flow")
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        iterables: dict[str, list[Any]] = {}
        static: dict[str, Any] = {}
        for key, value in bound.arguments.items():
            if isinstance(value, TaskFuture):
                value = value.result()
            if isinstance(value, (unmapped, str, bytes, dict)) or not isinstance(value, Iterable):
                static[key] = value
            else:
                iterables[key] = list(value)
        if not iterables:
            raise ValueError(f"{self.name}.map() needs at least one iterable argument")
        lengths = {len(v) for v in iterables.values()}
        if len(lengths) > 1:
            detail = ", ".join(f"{k}: {len(v)}" for k, v in iterables.items())
            raise ValueError(f"{self.name}.map(): iterable arguments differ in length ({detail})")
        futures = []
        for i in range(lengths.pop()):
            params = dict(static)
            for key, values in iterables.items():
                params[key] = values[i]
            engine = TaskRunEngine(self, flow_ctx, params, wait_for)
            futures.append(TaskFuture(engine, flow_ctx.task_runner.submit(engine)))
        return futures

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


class TaskRunEngine:
    """Runs one task run: its states, retries, caching, timeout, and what the writer records."""

    __slots__ = (
        "task",
        "flow_ctx",
        "parameters",
        "wait_for",
        "id",
        "name",
        "flow_run_id",
        "dynamic_key",
        "state",
        "times",
        "writer",
        "cache_key",
        "cache_expiration",
        "task_inputs",
        "created",
        "_initial_state",
        "_base",
    )

    def __init__(
        self,
        task: Task,
        flow_ctx: FlowRunContext | None,
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None,
    ) -> None:
        self.task = task
        self.flow_ctx = flow_ctx
        self.parameters = parameters
        self.wait_for = list(wait_for) if wait_for else None
        self.id = new_uuid()
        if flow_ctx is not None:
            self.dynamic_key = flow_ctx.next_dynamic_key((task.task_key, task.name))
            self.flow_run_id: str | None = flow_ctx.flow_run_id
            self.writer = flow_ctx.client.writer
        else:
            from jupyter_orch.engine.client import get_client

            self.dynamic_key = next(_loose_counter)
            self.flow_run_id = None
            self.writer = get_client().writer
        self.name = f"{task.name}-{self.dynamic_key}"
        self.state: State | None = None
        self.times = rules.RunTimes()
        self.cache_key: str | None = None
        self.cache_expiration: datetime | None = None
        self.task_inputs: dict[str, Any] = {}
        self.created: datetime | None = None
        self._initial_state: State | None = None
        self._base: dict[str, Any] | None = None

    @property
    def initial_state(self) -> State:
        """What `.state` shows before the engine thread reached PENDING (made on first ask)."""
        if self._initial_state is None:
            self._initial_state = Pending(task_run_id=self.id)
        return self._initial_state

    # -- transitions ---------------------------------------------------------------------------
    def propose(self, proposed: State) -> rules.Decision:
        """Judge `proposed` by the task-run rules; an accepted (or replacing) state is recorded."""
        ctx = rules.TransitionContext(
            "task", self.state, proposed, self.times.run_count, self.task.policy, now=proposed.timestamp
        )
        decision = rules.evaluate(rules.TASK_RUN_RULES, ctx)
        new = decision.state
        if decision.status in _ACCEPTED and new is not None and new is not self.state:
            new.task_run_id = self.id
            rules.bookkeep(self.times, self.state, new)
            self.state = new
            self._record(new)
        return decision

    def _record(self, state: State) -> None:
        data = state_data(state) if (state.data is not None or state.scheduled_time is not None) else None
        base = self._base
        if base is None:  # the columns that never change, made once per run
            self.created = state.timestamp
            task = self.task
            base = self._base = {
                "id": self.id,
                "name": self.name,
                "task_key": task.task_key,
                "dynamic_key": str(self.dynamic_key),
                "flow_run_id": self.flow_run_id,
                "empirical_policy": task.policy_dict,
                "tags": task.tag_list,
                "created": self.created,
            }
        times = self.times
        type_value = state.type._value_
        ts = state.timestamp
        self.writer.add_task_run(
            {
                **base,
                "cache_key": self.cache_key,
                "cache_expiration": self.cache_expiration,
                "task_inputs": self.task_inputs,
                "state_id": state.id,
                "state_type": type_value,
                "state_name": state.name,
                "state_message": state.message,
                "state_timestamp": ts,
                "state_data": data,
                "start_time": times.start_time,
                "end_time": times.end_time,
                "total_run_time": times.total_run_time,
                "run_count": times.run_count,
                "updated": ts,
            },
            {
                "id": state.id,
                "task_run_id": self.id,
                "type": type_value,
                "name": state.name,
                "message": state.message,
                "timestamp": ts,
                "data": data,
            },
        )

    # -- phases shared by the sync and async drivers --------------------------------------------
    def begin(self) -> State | None:
        """PENDING, inputs resolved, cache consulted; a final state if the body must not run."""
        self.propose(Pending())
        try:
            self._resolve_inputs()
        except UpstreamFailed as exc:
            return self._fail_final(Failed(message=str(exc)), exc)
        if self.task.caching:
            return self._check_cache()
        return None

    def _resolve_inputs(self) -> None:
        params = self.parameters
        edges: list[tuple[str, str]] = []
        if self.wait_for:
            ids: list[str] = []
            for item in self.wait_for:
                resolve(item, ids)
            edges.extend((up, "wait_for") for up in ids)
            self.task_inputs["wait_for"] = [{"input_type": "task_run", "id": up} for up in ids]
        known = self.flow_ctx.results if self.flow_ctx is not None else None
        for key, value in params.items():
            ids = []
            if has_futures(value):
                params[key] = resolve(value, ids)
            elif known:
                upstream_by_identity(value, known, ids)
            if ids:
                edges.extend((up, "data") for up in ids)
                self.task_inputs[key] = [{"input_type": "task_run", "id": up} for up in ids]
        if edges and self.flow_run_id is not None:
            for up, kind in edges:
                self.writer.add(
                    "edges",
                    {
                        "flow_run_id": self.flow_run_id,
                        "upstream_id": up,
                        "downstream_id": self.id,
                        "kind": kind,
                    },
                )

    def _task_context(self) -> TaskRunContext:
        return TaskRunContext(
            self.task, self.id, self.name, self.flow_run_id, self.parameters, bool(self._log_prints())
        )

    def _log_prints(self) -> bool:
        if self.task.log_prints is not None:
            return self.task.log_prints
        return bool(self.flow_ctx and self.flow_ctx.log_prints)

    def _check_cache(self) -> State | None:
        task = self.task
        if task.cache_key_fn is not None:
            key = task.cache_key_fn(self._task_context(), self.parameters)
        else:
            from jupyter_orch.engine.caching import task_input_hash

            key = task_input_hash(self._task_context(), self.parameters)
        if not key:
            return None
        self.cache_key = str(key)[:255]
        client = self.flow_ctx.client if self.flow_ctx else _client()
        hit = client.lookup_cached(self.cache_key)
        if hit is None:
            return None
        cached = State.from_dict(hit["state"])
        exp = hit.get("cache_expiration")
        self.cache_expiration = datetime.fromisoformat(exp) if isinstance(exp, str) else exp
        self.propose(Cached(data=cached.data, message=f"Cached result of task run {hit['id']}"))
        return self.state

    def start_attempt(self) -> None:
        first = self.times.run_count == 0
        self.propose(Running() if first else Retrying())

    def _persist(self) -> bool:
        task = self.task
        if task.persist_result is not None:
            return task.persist_result
        if task.caching:
            return True
        return bool(self.flow_ctx and self.flow_ctx.persist_result)

    def succeed(self, value: Any) -> State:
        data = None
        if self._persist():
            from jupyter_orch.engine.results import persist_result

            data = persist_result(value, self.cache_key)
        if self.task.cache_expiration is not None and self.cache_key:
            self.cache_expiration = utcnow() + self.task.cache_expiration
        state = Completed(data=data)
        state.set_result(value)
        if self.flow_ctx is not None:
            self.flow_ctx.link_result(value, self.id)
        self.propose(state)
        return self.state  # type: ignore[return-value]

    def fail(self, exc: Exception) -> float | None:
        """Propose the failure; seconds to wait before the next attempt, or None if final."""
        if isinstance(exc, TaskRunTimeout):
            proposed = TimedOut(message=str(exc))
        else:
            proposed = Failed(message=f"Task run encountered an exception {type(exc).__name__}: {exc}")
        proposed.set_result(exc)
        decision = self.propose(proposed)
        logger = self._logger()
        if decision.status == rules.REJECT and self.state is not None and self.state.is_scheduled():
            when = self.state.scheduled_time
            delay = max(0.0, (when - utcnow()).total_seconds()) if when else 0.0
            logger.info(
                "Task run failed with exception %r - Retry %d/%d will start %.3g second(s) from now",
                exc,
                self.times.run_count,
                self.task.retries,
                delay,
            )
            return delay
        logger.error("Task run failed with exception: %r - Retries are exhausted", exc, exc_info=exc)
        return None

    def crash(self, exc: BaseException) -> None:
        """A BaseException (KeyboardInterrupt, SystemExit, cancellation) ends the run; re-raised."""
        if is_cancellation(exc):
            state = Cancelled(message="Task run was cancelled")
        else:
            state = Crashed(message=f"Task run crashed: {type(exc).__name__}: {exc}")
        state.set_result(exc)
        self.propose(state)

    def _fail_final(self, state: State, exc: BaseException) -> State:
        state.set_result(exc)
        self.propose(state)
        self._logger().error("%s", state.message)
        return self.state  # type: ignore[return-value]

    def _logger(self) -> Any:
        from jupyter_orch.engine.logging import run_logger

        return run_logger(self.flow_run_id, self.id, f"Task run {self.name!r}", "task_runs")

    def _enter(self) -> tuple[Any, Any]:
        token = task_run_ctx.set(self._task_context())
        prints = None
        if self._log_prints():
            from jupyter_orch.engine.logging import install_print_hook, print_recorder, print_target

            install_print_hook()
            prints = print_target.set(print_recorder(self.flow_run_id, self.id))
        elif self.task.log_prints is False:
            from jupyter_orch.engine.logging import print_target

            prints = print_target.set(None)
        return token, prints

    def _exit(self, tokens: tuple[Any, Any]) -> None:
        token, prints = tokens
        if prints is not None:
            from jupyter_orch.engine.logging import print_target

            print_target.reset(prints)
        task_run_ctx.reset(token)

    def _concurrency(self) -> list[str]:
        ctx = self.flow_ctx
        if ctx is None or not ctx.limited_tags or not self.task.tags:
            return []
        limited = sorted(self.task.tags & ctx.limited_tags)
        if limited:
            while not ctx.client.acquire_concurrency_slots(limited, self.id):
                time.sleep(0.1)
        return limited

    def _release(self, held: list[str]) -> None:
        if held and self.flow_ctx is not None:
            self.flow_ctx.client.release_concurrency_slots(self.id)

    # -- drivers ---------------------------------------------------------------------------------
    def run_sync(self, run_body: Callable[..., Any] | None = None) -> State:
        """Run to a final state in this thread; `run_body(fn, args, kwargs, timeout)` calls the
        body (a task runner may send it elsewhere)."""
        task = self.task
        final = self.begin()
        if final is not None:
            return final
        held = self._concurrency()
        tokens = self._enter()
        try:
            args, kwargs = task.call_body(self.parameters)
            while True:
                self.start_attempt()
                try:
                    if run_body is not None:
                        value = run_body(task.fn, args, kwargs, task.timeout_seconds)
                    elif task.is_async:
                        from jupyter_orch.engine.asyncutils import run_coro_sync

                        value = run_coro_sync(
                            await_with_timeout(task.fn(*args, **kwargs), task.timeout_seconds)
                        )
                    elif task.timeout_seconds is not None:
                        value = call_with_timeout(task.fn, args, kwargs, task.timeout_seconds)
                    else:
                        value = task.fn(*args, **kwargs)
                except Exception as exc:
                    delay = self.fail(exc)
                    if delay is None:
                        return self.state  # type: ignore[return-value]
                    if delay:
                        time.sleep(delay)
                    continue
                except BaseException as exc:
                    self.crash(exc)
                    raise
                return self.succeed(value)
        finally:
            self._exit(tokens)
            self._release(held)

    async def run_async(self) -> State:
        """Run an async task body to a final state on the current event loop."""
        task = self.task
        final = self.begin()
        if final is not None:
            return final
        held = self._concurrency()
        tokens = self._enter()
        try:
            args, kwargs = task.call_body(self.parameters)
            while True:
                self.start_attempt()
                try:
                    value = task.fn(*args, **kwargs)
                    if inspect.isawaitable(value):
                        value = await await_with_timeout(value, task.timeout_seconds)
                except Exception as exc:
                    delay = self.fail(exc)
                    if delay is None:
                        return self.state  # type: ignore[return-value]
                    if delay:
                        import asyncio

                        await asyncio.sleep(delay)
                    continue
                except BaseException as exc:
                    self.crash(exc)
                    raise
                return self.succeed(value)
        finally:
            self._exit(tokens)
            self._release(held)


def _client() -> Any:
    from jupyter_orch.engine.client import get_client

    return get_client()


__all__ = ["Task", "TaskRunEngine", "exponential_backoff", "task"]
