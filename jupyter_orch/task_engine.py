"""Prefect's `prefect.task_engine`: `run_task_sync` / `run_task_async` run one task run — a new
one, or the one `await my_task.create_run()` recorded (pass its `task_run` or `task_run_id`) —
and answer its final state (`return_type="state"`) or its result."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_orch.context import EngineContext
from jupyter_orch.engine import task_drivers
from jupyter_orch.engine.context import flow_run_ctx
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.states import State


def _engine(
    task: Any,
    task_run_id: Any = None,
    task_run: Any = None,
    parameters: dict[str, Any] | None = None,
    wait_for: Iterable[Any] | None = None,
    return_type: str = "result",
    dependencies: Any = None,
    context: Any = None,
) -> tuple[TaskRunEngine, str]:
    """The engine of the run to execute (`task_run` / `task_run_id`: one recorded earlier), and
    what to answer; `context={"flow_run_context": EngineContext(...).serialize()}` runs it in that
    flow run; `dependencies` is accepted for Prefect's signature."""
    flow_ctx = flow_run_ctx.get()
    if context and context.get("flow_run_context"):
        flow_ctx = EngineContext.hydrate(context["flow_run_context"])
    engine = TaskRunEngine(task, flow_ctx, dict(parameters or {}), wait_for)
    if task_run is not None:
        engine.id, engine.name = str(task_run.id), task_run.name
    elif task_run_id is not None:
        engine.id = str(task_run_id)
    return engine, return_type


@contextmanager
def _in_flow_run(engine: TaskRunEngine) -> Iterator[None]:
    """The flow run a `context=` named is the one in progress while its task runs."""
    if engine.flow_ctx is None or engine.flow_ctx is flow_run_ctx.get():
        yield
        return
    with engine.flow_ctx:
        yield


def _answer(state: State, return_type: str) -> Any:
    return state if return_type == "state" else state.value()


def run_task_sync(task: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a synchronous task's run here; its final state (`return_type="state"`) or result.
    Arguments as Prefect's: `task_run_id`, `task_run`, `parameters`, `wait_for`, `return_type`."""
    engine, return_type = _engine(task, *args, **kwargs)
    with _in_flow_run(engine):
        return _answer(task_drivers.run_task_sync(engine), return_type)


async def run_task_async(task: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an async task's run on this loop; arguments and answer as `run_task_sync`."""
    engine, return_type = _engine(task, *args, **kwargs)
    with _in_flow_run(engine):
        return _answer(await task_drivers.run_task_async(engine), return_type)


def run_task(task: Any, *args: Any, **kwargs: Any) -> Any:
    """`run_task_async` for a coroutine task, else `run_task_sync`."""
    runner = run_task_async if task.is_async else run_task_sync
    return runner(task, *args, **kwargs)


#: Prefect's engine classes: one engine here drives sync and async task runs alike (its
#: `begin_run` enters RUNNING before each attempt; an interrupt there crashes the run)
SyncTaskRunEngine = AsyncTaskRunEngine = TaskRunEngine

__all__ = [
    "AsyncTaskRunEngine",
    "SyncTaskRunEngine",
    "TaskRunEngine",
    "run_task",
    "run_task_async",
    "run_task_sync",
]
