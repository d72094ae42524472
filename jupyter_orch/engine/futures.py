"""Futures of submitted task runs (Prefect's classes and helpers); resolving them in task arguments.

`PrefectConcurrentFuture` wraps the `concurrent.futures.Future` a task runner returns; while the
run is in flight its `.state` is the engine's in-memory state (no database read). Other futures
(background task runs) subclass `PrefectFuture` and override `wait`, `result` and `state`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

from jupyter_orch.annotations import BaseAnnotation, allow_failure, mapped_item, opaque, quote, unmapped
from jupyter_orch.engine.exceptions import UpstreamFailed
from jupyter_orch.engine.hooks import as_uuid
from jupyter_orch.engine.records import rebuild, record_fields
from jupyter_orch.states import Crashed, Pending, State

if TYPE_CHECKING:  # annotations only: uuid (and `platform`) load when an id is made a UUID
    import uuid

logger = logging.getLogger("jupyter_orch.futures")

R = TypeVar("R")
F = TypeVar("F")


class RunInFlight(Protocol):
    """What a future reads of the engine running its task run while it is in flight
    (`task_engine.TaskRunEngine`, which stands above: it resolves futures given as arguments)."""

    name: str
    state: State | None

    @property
    def initial_state(self) -> State: ...


class PrefectFuture(Generic[R]):
    """A task run that may not have finished: `.state`, `.wait()`, `.result()`."""

    __slots__ = ("_task_run_id", "_final_state", "__weakref__", "__dict__")  # users tag futures

    def __init__(self, task_run_id: str | uuid.UUID) -> None:
        self._task_run_id = str(task_run_id)  # the engine's own id type; a UUID for users
        self._final_state: State | None = None

    @property
    def task_run_id(self) -> uuid.UUID:
        return as_uuid(self._task_run_id)  # type: ignore[return-value]

    @property
    def state(self) -> State:
        """The run's current state (its final one once it ended), read through the client
        until then (Pending while the run is not recorded)."""
        final = self._final_state
        if final is not None:
            return final
        from jupyter_orch.client import ApiError, get_client  # lazy: loads with the first such read

        try:
            run = get_client().read_task_run(self._task_run_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            run = {}
        state = State.from_dict(run["state"]) if run.get("state") else Pending()
        state.task_run_id = self._task_run_id
        if state.is_final():
            self._final_state = state
        return state

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run ends, or `timeout` seconds pass (no error then)."""
        raise NotImplementedError

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The run's return value; its exception is raised if it failed (unless told not to);
        `TimeoutError` if it has not ended within `timeout` seconds."""
        raise NotImplementedError

    def add_done_callback(self, fn: Callable[[PrefectFuture[R]], Any]) -> None:
        """Call `fn(future)` when the run ends (at once if it has)."""
        raise NotImplementedError

    def final_state(self, timeout: float | None = None) -> State:
        """Block until the run ends; its final state (`TimeoutError` after `timeout`)."""
        self.wait(timeout)
        state = self.state
        if not state.is_final():
            raise TimeoutError(f"task run {self._task_run_id} did not finish within {timeout} s")
        return state

    def done(self) -> bool:
        return self._final_state is not None or self.state.is_final()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task_run_id={self._task_run_id!r})"


class PrefectWrappedFuture(PrefectFuture[R], Generic[R, F]):
    """A future whose work is tracked by another future object (`wrapped_future`, of type F)."""

    __slots__ = ("_wrapped_future",)

    def __init__(self, task_run_id: str | uuid.UUID, wrapped_future: F) -> None:
        super().__init__(task_run_id)
        self._wrapped_future = wrapped_future

    @property
    def wrapped_future(self) -> F:
        return self._wrapped_future

    def add_done_callback(self, fn: Callable[[PrefectFuture[R]], Any]) -> None:
        if self._final_state is not None:
            fn(self)
            return
        self._wrapped_future.add_done_callback(lambda _f: fn(self))


class PrefectConcurrentFuture(PrefectWrappedFuture[R, concurrent.futures.Future]):
    """A task run submitted to a local task runner (threads, processes, dask through threads):
    wraps the `concurrent.futures.Future` that resolves to its final state."""

    __slots__ = ("_engine",)

    def __init__(
        self,
        task_run_id: str | uuid.UUID,
        wrapped_future: concurrent.futures.Future,
        engine: RunInFlight | None = None,
    ) -> None:
        super().__init__(task_run_id, wrapped_future)
        self._engine = engine

    def final_state(self, timeout: float | None = None) -> State:
        """Block until the run ends; its final state (Crashed if the engine itself died)."""
        final = self._final_state
        if final is not None:
            return final
        try:
            outcome = self._wrapped_future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"task run {self._task_run_id} did not finish within {timeout} s") from None
        except BaseException as exc:
            outcome = Crashed(
                message=f"Task run crashed: {type(exc).__name__}: {exc}", task_run_id=self._task_run_id
            )
            outcome.set_result(exc)
        if not isinstance(outcome, State):  # a runner that hands back the bare value
            value, outcome = outcome, State("COMPLETED", task_run_id=self._task_run_id)
            outcome.set_result(value)
        self._final_state = outcome
        return outcome

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        return self.final_state(timeout).result(raise_on_failure=raise_on_failure)

    def wait(self, timeout: float | None = None) -> None:
        if self._final_state is None:
            concurrent.futures.wait([self._wrapped_future], timeout)

    def done(self) -> bool:
        return self._final_state is not None or self._wrapped_future.done()

    @property
    def state(self) -> State:
        if self._final_state is not None or self._wrapped_future.done():
            return self.final_state()
        engine = self._engine
        if engine is None:
            return Pending(task_run_id=self._task_run_id)
        return engine.state or engine.initial_state

    def __repr__(self) -> str:
        name = self._engine.name if self._engine is not None else self._task_run_id
        return f"PrefectConcurrentFuture({name!r}, state={self.state!r})"

    def __del__(self) -> None:
        """Dropped while its run is still going: say so (its result and errors would go unseen)."""
        if self._final_state is None and not self._wrapped_future.done():
            logger.warning(
                "A future was garbage collected before it resolved: call `.wait()` or `.result()` on "
                "the futures of submitted task runs (task run %s) to make sure they finish.",
                self._task_run_id,
            )


TaskFuture = PrefectConcurrentFuture  # the name this project used before Prefect's classes


class PrefectFutureList(list, Generic[R]):
    """The futures `Task.map` returns, with `.wait()` and `.result()` over all of them."""

    def wait(self, timeout: float | None = None) -> None:
        wait(self, timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        """Every run's result in order; `TimeoutError` if not all ended within `timeout`."""
        if timeout is not None and wait(self, timeout=timeout).not_done:
            raise TimeoutError("Timed out waiting for all futures to complete.")
        return [f.result(raise_on_failure=raise_on_failure) for f in self]


class DoneAndNotDoneFutures(NamedTuple):
    """What `wait` answers: the futures that ended and those that had not."""

    done: set[PrefectFuture]
    not_done: set[PrefectFuture]


def wait(futures: Iterable[PrefectFuture[R]], timeout: float | None = None) -> DoneAndNotDoneFutures:
    """Wait until every future ended, or `timeout` seconds passed; which did and which did not."""
    pending = set(futures)
    deadline = None if timeout is None else time.monotonic() + timeout
    wrapped = {f._wrapped_future: f for f in pending if isinstance(f, PrefectConcurrentFuture)}
    if wrapped:
        concurrent.futures.wait(list(wrapped), timeout)
    for future in pending:
        if isinstance(future, PrefectConcurrentFuture):
            continue  # waited for above, all at once
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        future.wait(remaining)
    done = {f for f in pending if f.done()}
    return DoneAndNotDoneFutures(done, pending - done)


def as_completed(
    futures: Iterable[PrefectFuture[R]], timeout: float | None = None
) -> Iterator[PrefectFuture[R]]:
    """Yield each future as its run ends (in the order they end); `TimeoutError` if some have
    not ended within `timeout` seconds."""
    import queue  # lazy: only as_completed waits on a queue, not every flow that imports futures

    unique = list(dict.fromkeys(futures))
    finished: queue.SimpleQueue[PrefectFuture[R]] = queue.SimpleQueue()
    deadline = None if timeout is None else time.monotonic() + timeout
    for future in unique:
        future.add_done_callback(finished.put)
    for count in range(len(unique)):
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            yield finished.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError(f"{len(unique) - count} (of {len(unique)}) futures unfinished") from None


# -- resolving futures inside values -------------------------------------------------------------
def _visit(expr: Any, fn: Callable[[Any], Any]) -> Any:
    """`expr` rebuilt with `fn` applied to every future in it (lists, tuples, sets, dict keys and
    values, dataclasses); a quoted value is left alone."""
    if isinstance(expr, PrefectFuture):
        return fn(expr)
    if isinstance(expr, quote):
        return expr
    if isinstance(expr, BaseAnnotation):  # allow_failure(future), unmapped(...): look inside
        return expr.rewrap(_visit(expr.value, fn))
    if isinstance(expr, tuple) and hasattr(expr, "_fields"):  # a named tuple
        return type(expr)(*(_visit(v, fn) for v in expr))
    if isinstance(expr, (list, tuple, set, frozenset)):
        return type(expr)(_visit(v, fn) for v in expr)
    if isinstance(expr, dict):
        return type(expr)((_visit(k, fn), _visit(v, fn)) for k, v in expr.items())
    if dataclasses.is_dataclass(expr) and not isinstance(expr, type):
        changes = {f.name: _visit(getattr(expr, f.name), fn) for f in dataclasses.fields(expr) if f.init}
        return dataclasses.replace(expr, **changes)
    return expr


def resolve_futures_to_states(expr: Any) -> Any:
    """`expr` with every future in it replaced by its run's final state (waiting for it)."""
    return _visit(expr, lambda f: f.final_state())


def resolve_futures_to_results(expr: Any) -> Any:
    """`expr` with every future in it replaced by its run's result (a failure raises)."""
    return _visit(expr, lambda f: f.result())


_CONTAINERS = (list, tuple, set, frozenset, PrefectFutureList)
_SPECIAL = (PrefectFuture, BaseAnnotation, State)
_RUNS = (PrefectFuture, State)


def _upstream_value(value: PrefectFuture | State, upstream: list[str], allowed: bool) -> Any:
    if isinstance(value, PrefectFuture):
        upstream.append(label := value._task_run_id)
        state = value.final_state()
    else:
        state = value
        if value.task_run_id:
            upstream.append(value.task_run_id)
        label = value.task_run_id or value.name
    if state.is_completed():
        return state.result()
    if allowed:
        return state.result(raise_on_failure=False)
    raise UpstreamFailed(f"Upstream task run '{label}' did not reach a 'COMPLETED' state.")


def resolve(value: Any, upstream: list[str], allowed: bool = False) -> Any:
    """`value` with every future and state (also inside lists, tuples, sets, dicts) replaced by
    its result; the ids of those runs are appended to `upstream`. A failed upstream raises
    `UpstreamFailed` unless it is wrapped in `allow_failure`; a `quote`d value is passed as is."""
    if isinstance(value, _RUNS):
        return _upstream_value(value, upstream, allowed)
    cls = type(value)
    if cls in _CONTAINERS:
        return cls(resolve(v, upstream, allowed) for v in value)
    if cls is dict:
        return {k: resolve(v, upstream, allowed) for k, v in value.items()}
    if cls is quote or cls is opaque:  # as given; opaque: its future resolved, the value not searched
        v = value.value
        return _upstream_value(v, upstream, allowed) if cls is opaque and isinstance(v, _RUNS) else v
    if cls is allow_failure:
        return resolve(value.value, upstream, True)
    if isinstance(value, BaseAnnotation):
        if cls is mapped_item:  # an element of a completed run's result: that run is upstream
            upstream.append(value.source)
        return resolve(value.value, upstream, allowed)
    fields = record_fields(value)  # a dataclass, named tuple or pydantic model: rebuilt if a field changes
    return value if fields is None else rebuild(value, fields, lambda v: resolve(v, upstream, allowed))


def upstream_by_identity(
    value: Any, known: dict[int, tuple[Any, str]], upstream: list[str], depth: int = 2
) -> None:
    """Append to `upstream` the task runs that returned `value` itself or, `depth` levels down, an
    item of the lists, tuples, sets and dicts it holds (matched by identity, as Prefect links a
    task's inputs to earlier results of the same flow run)."""
    hit = known.get(id(value))
    if hit is not None and hit[0] is value:
        if hit[1] not in upstream:
            upstream.append(hit[1])
        return
    if depth <= 0:
        return
    cls = type(value)
    if cls in _CONTAINERS:
        for item in value:
            upstream_by_identity(item, known, upstream, depth - 1)
    elif cls is dict:
        for item in value.values():
            upstream_by_identity(item, known, upstream, depth - 1)


def resolve_parameters(
    params: dict[str, Any], known: dict[int, tuple[Any, str]] | None, wait_for: Any = None
) -> dict[str, Any]:
    """Futures and states among a subflow's parameters replaced by their results, in place (a failed
    one raises UpstreamFailed unless in `allow_failure`), after the runs of `wait_for` ended;
    answers, for every parameter, the task runs its value came from, as Prefect records a subflow's
    `task_inputs` (`[]` for none; `wait_for` too when given)."""
    inputs: dict[str, Any] = {}
    if wait_for:
        ids: list[str] = []
        resolve(list(wait_for), ids)
        inputs["wait_for"] = [{"input_type": "task_run", "id": up} for up in ids]
    for key, value in params.items():
        ids: list[str] = []
        if has_futures(value):
            params[key] = resolve(value, ids)
        elif known:
            upstream_by_identity(value, known, ids)
        inputs[key] = [{"input_type": "task_run", "id": up} for up in ids]
    return inputs


def has_futures(value: Any) -> bool:
    """Whether `resolve` has anything to do for `value` (cheap for plain values)."""
    if isinstance(value, _SPECIAL):
        return True
    cls = type(value)
    if cls in _CONTAINERS:
        return any(has_futures(v) for v in value)
    if cls is dict:
        return any(has_futures(v) for v in value.values())
    fields = record_fields(value)
    return fields is not None and any(has_futures(v) for v in fields.values())


__all__ = ["DoneAndNotDoneFutures", "PrefectConcurrentFuture", "PrefectFuture", "PrefectFutureList",
           "PrefectWrappedFuture", "TaskFuture", "allow_failure", "as_completed", "quote",
           "resolve_futures_to_results", "resolve_futures_to_states", "unmapped", "wait"]  # fmt: skip
