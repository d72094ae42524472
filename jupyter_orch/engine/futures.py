"""Futures of submitted task runs, and resolving them when they are passed as arguments."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, Any

from jupyter_orch.engine.exceptions import UpstreamFailed
from jupyter_orch.states import Crashed, State

if TYPE_CHECKING:
    from jupyter_orch.engine.task_engine import TaskRunEngine


class TaskFuture:
    """A task run in progress: `.result()`, `.wait()`, `.state` (its current state meanwhile)."""

    __slots__ = ("_engine", "_future")

    def __init__(self, engine: TaskRunEngine, future: concurrent.futures.Future) -> None:
        self._engine = engine
        self._future = future

    @property
    def task_run_id(self) -> str:
        return self._engine.id

    def final_state(self, timeout: float | None = None) -> State:
        """Block until the run ends; its final state (Crashed if the engine itself died)."""
        try:
            return self._future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise
        except BaseException as exc:
            state = Crashed(
                message=f"Task run crashed: {type(exc).__name__}: {exc}", task_run_id=self.task_run_id
            )
            state.set_result(exc)
            return state

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        """The task's return value; re-raises its exception if it failed (unless told not to)."""
        return self.final_state(timeout).result(raise_on_failure=raise_on_failure)

    def wait(self, timeout: float | None = None) -> None:
        concurrent.futures.wait([self._future], timeout)

    def done(self) -> bool:
        return self._future.done()

    @property
    def state(self) -> State:
        if self._future.done():
            return self.final_state()
        return self._engine.state or self._engine.initial_state

    def add_done_callback(self, fn: Any) -> None:
        self._future.add_done_callback(lambda _f: fn(self))

    def __repr__(self) -> str:
        return f"TaskFuture({self._engine.name!r}, state={self.state!r})"


class unmapped:  # noqa: N801 - Prefect's name
    """Wrap an argument of `Task.map` so it is passed whole to every mapped run."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getitem__(self, _index: int) -> Any:
        return self.value


_CONTAINERS = (list, tuple, set, frozenset)


def resolve(value: Any, upstream: list[str]) -> Any:
    """`value` with every TaskFuture (also inside lists, tuples, sets, dicts) replaced by its
    result; the ids of those runs are appended to `upstream`. A failed upstream raises."""
    if isinstance(value, TaskFuture):
        upstream.append(value.task_run_id)
        state = value.final_state()
        if not state.is_completed():
            raise UpstreamFailed(
                f"Upstream task run {value._engine.name!r} did not reach a 'COMPLETED' state ({state.name})"
            )
        return state.result()
    cls = type(value)
    if cls in _CONTAINERS:
        return cls(resolve(v, upstream) for v in value)
    if cls is dict:
        return {k: resolve(v, upstream) for k, v in value.items()}
    if cls is unmapped:
        return resolve(value.value, upstream)
    return value


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


def has_futures(value: Any) -> bool:
    cls = type(value)
    if cls is TaskFuture or cls is unmapped:
        return True
    if cls in _CONTAINERS:
        return any(has_futures(v) for v in value)
    if cls is dict:
        return any(has_futures(v) for v in value.values())
    return False
