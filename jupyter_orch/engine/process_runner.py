"""`ProcessPoolTaskRunner`: whole task runs in child processes, for CPU-bound work.

The flow's process waits for a run's upstream futures, replaces them by their final states
(which carry the results and the upstream run ids, so the child still records the data edges),
and sends the task, its parameters and the run's identity (id, name, flow run) cloudpickled to
a child of a `spawn` pool. The child drives the run with the ordinary `TaskRunEngine` and reports
through its own client (the same database or server, from the inherited environment), flushing
before it answers; the parent receives the final state with its result. A child that dies
leaves the run Crashed, recorded by the parent.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import FlowRunContext, flow_run_ctx, tags_ctx
from jupyter_orch.engine.futures import resolve_futures_to_states
from jupyter_orch.engine.task_drivers import run_task_sync
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.task_runners import DEFAULT_MAX_WORKERS, TaskRunner, ThreadPoolTaskRunner
from jupyter_orch.settings import PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS
from jupyter_orch.states import Crashed, State

if TYPE_CHECKING:
    from jupyter_orch.engine.tasks import Task


class ProcessPoolTaskRunner(TaskRunner):
    """Runs submitted task runs in up to `max_workers` child processes (default: the CPU count).

    Tasks, arguments and results cross the process boundary with cloudpickle; the runs are
    recorded like any other (states, logs, artifacts), by the child that executes them."""

    def __init__(
        self,
        max_workers: int | None = None,
        subprocess_message_processor_factories: Iterable[Callable[[], Any]] | None = None,
    ) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        setting = PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS.value()
        self.max_workers = max_workers or setting or os.cpu_count() or 1
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._dispatch: concurrent.futures.ThreadPoolExecutor | None = None
        self._factories = tuple(subprocess_message_processor_factories or ())

    @property
    def _max_workers(self) -> int:  # Prefect's attribute name
        return self.max_workers

    @property
    def subprocess_message_processor_factories(self) -> tuple[Callable[[], Any], ...]:
        """Prefect's hooks over the log and event messages its child processes forward. Kept
        for Prefect's API (and copied by `duplicate`); here a child writes its runs' records
        itself, so no message passes through them."""
        return self._factories

    @subprocess_message_processor_factories.setter
    def subprocess_message_processor_factories(self, factories: Iterable[Callable[[], Any]] | None) -> None:
        if self._started:
            raise RuntimeError(
                "Cannot configure subprocess message processor factories while task runner is started"
            )
        self._factories = tuple(factories or ())

    def set_subprocess_message_processor_factories(
        self, factories: Iterable[Callable[[], Any]] | None
    ) -> None:
        self.subprocess_message_processor_factories = factories

    def duplicate(self) -> ProcessPoolTaskRunner:
        """A runner like this one, not started (of this class: subclasses keep their type)."""
        twin = type(self)(max_workers=self.max_workers)
        twin._factories = self._factories
        return twin

    def cancel_all(self) -> None:
        """Stop taking work now: queued runs are dropped (runs already in a process finish there)."""
        self.shutdown(wait=False)

    def start(self) -> None:
        self._executors()

    def _executors(
        self,
    ) -> tuple[concurrent.futures.ProcessPoolExecutor, concurrent.futures.ThreadPoolExecutor]:
        if self._executor is None or self._dispatch is None:
            # spawn, not fork: the flow's process has threads (the batch writer) and open databases
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.max_workers, mp_context=multiprocessing.get_context("spawn")
            )
            self._dispatch = concurrent.futures.ThreadPoolExecutor(
                DEFAULT_MAX_WORKERS, thread_name_prefix="jupyter-orch-process-dispatch"
            )
        return self._executor, self._dispatch

    def submit_engine(self, engine: TaskRunEngine) -> concurrent.futures.Future[State]:
        pool, dispatch = self._executors()
        return dispatch.submit(contextvars.copy_context().run, _dispatch, pool, engine)

    def shutdown(self, wait: bool = True) -> None:
        if self._dispatch is not None:
            self._dispatch.shutdown(wait=wait)
            self._dispatch = None
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=not wait)
            self._executor = None

    def __repr__(self) -> str:
        return f"ProcessPoolTaskRunner(max_workers={self.max_workers})"


def _dispatch(pool: concurrent.futures.ProcessPoolExecutor, engine: TaskRunEngine) -> State:
    """In a thread of the flow's process: wait for the inputs, run the task run in a child."""
    # heavy: cloudpickle, only with the process task runner
    import cloudpickle

    ctx = engine.flow_ctx
    run = {
        "id": engine.id,
        "dynamic_key": engine.dynamic_key,
        "flow_run_id": engine.flow_run_id,
        "flow_run_name": ctx.flow_run_name if ctx else None,
        "log_prints": ctx.log_prints if ctx else False,
        "persist_result": ctx.persist_result if ctx else None,
        "limited_tags": ctx.limited_tags if ctx else frozenset(),
        "tags": tags_ctx.get(),  # `with tags(...)` around the submission
    }
    try:
        payload = cloudpickle.dumps(
            (
                engine.task,
                resolve_futures_to_states(engine.parameters),
                resolve_futures_to_states(engine.wait_for) if engine.wait_for else None,
                run,
            )
        )
        return cloudpickle.loads(pool.submit(_run_in_child, payload).result())
    except Exception as exc:  # unpicklable input, or the child died: the run crashed
        if ctx is not None:
            ctx.client.flush()  # what the child wrote is older than this Crashed state
        state = Crashed(message=f"Task run crashed in its process: {type(exc).__name__}: {exc}")
        state.set_result(exc)
        engine.propose(state)
        return engine.state  # type: ignore[return-value]


def _run_in_child(payload: bytes) -> bytes:
    """In a child process: drive the run to its final state, write its records, return it."""
    # heavy: cloudpickle, only with the process task runner
    import cloudpickle

    task, parameters, wait_for, run = cloudpickle.loads(payload)
    client = get_client()
    ctx = None
    if run["flow_run_id"] is not None:
        ctx = FlowRunContext(
            flow=None,
            flow_run_id=run["flow_run_id"],
            flow_run_name=run["flow_run_name"],
            client=client,
            task_runner=ThreadPoolTaskRunner(),
            log_prints=run["log_prints"],
            persist_result=run["persist_result"],
            limited_tags=run["limited_tags"],
        )
    token = flow_run_ctx.set(ctx)
    tagged = tags_ctx.set(run.get("tags") or frozenset())
    try:
        engine = _adopt(task, ctx, parameters, wait_for, run)
        try:
            state = run_task_sync(engine)
        except BaseException:  # recorded as Crashed/Cancelled by the engine
            state = engine.state  # type: ignore[assignment]
        if ctx is not None:
            ctx.task_runner.shutdown()
    finally:
        tags_ctx.reset(tagged)
        flow_run_ctx.reset(token)
        client.flush()
    return _pickle_state(state)


def _adopt(
    task: Task, ctx: FlowRunContext | None, parameters: dict[str, Any], wait_for: Any, run: dict[str, Any]
) -> TaskRunEngine:
    """An engine for the run the parent named (its id and name, not new ones)."""
    engine = TaskRunEngine(task, ctx, parameters, wait_for)
    engine.id = run["id"]
    engine.dynamic_key = run["dynamic_key"]
    engine.name = f"{task.name}-{run['dynamic_key']}"
    return engine


def _pickle_state(state: State) -> bytes:
    # heavy: cloudpickle, only with the process task runner
    import cloudpickle

    try:
        return cloudpickle.dumps(state)
    except Exception as exc:  # the result cannot travel back: the state does, without it
        bare = state.copy(message=f"{state.message or state.name} (result not picklable: {exc})")
        bare.id = state.id
        return cloudpickle.dumps(bare)
