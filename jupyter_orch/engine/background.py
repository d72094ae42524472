"""Background task runs, as Prefect's: `task.delay(...)` / `task.apply_async(...)` record a
SCHEDULED task run of no flow run, with its parameters (cloudpickled, in the state's data), and
return a `PrefectDistributedFuture`; a task worker serving that task (`jupyter_orch.task_worker`)
claims and runs it, in any process that reaches the same database or server.

The future reads the run through the client until it is final. Background runs persist their
results (in the results storage of the worker, `JUPYTER_ORCH_RESULTS_URL` when set), so the
future's `.result()` loads them wherever that storage is reachable.
"""

from __future__ import annotations

import base64
import concurrent.futures
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import flow_run_ctx, tags_ctx
from jupyter_orch.engine.futures import PrefectConcurrentFuture, PrefectFuture, _visit
from jupyter_orch.engine.logging import run_logger
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.task_runners import DEFAULT_MAX_WORKERS, TaskRunner
from jupyter_orch.exceptions import MissingResult, ParameterBindError
from jupyter_orch.orchestration.serialize import state_data
from jupyter_orch.settings import PREFECT_UI_URL
from jupyter_orch.states import Pending, Scheduled, State, new_uuid

#: the poll interval of a waiting future grows to this many seconds
MAX_POLL = 0.5


class PrefectDistributedFuture(PrefectFuture[Any]):
    """A task run that a task worker executes: its state is read through the client."""

    __slots__ = ()

    def wait(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.02
        while not self.state.is_final():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            time.sleep(delay if remaining is None else min(delay, remaining))
            delay = min(delay * 2, MAX_POLL)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        state = self.final_state(timeout)
        if state.is_completed() and not state._has_result and state.data is None:
            raise MissingResult(
                "State data is missing. Typically, this occurs when result persistence is disabled "
                "and the state has been retrieved from the API."
            )
        return state.value(raise_on_failure)

    def add_done_callback(self, fn: Callable[[PrefectFuture[Any]], Any]) -> None:
        if self._final_state is not None:
            fn(self)
            return

        def watch() -> None:
            self.wait()
            fn(self)

        threading.Thread(target=watch, name="jupyter-orch-future-watch", daemon=True).start()

    def __eq__(self, other: object) -> bool:  # the same run, wherever the future was made
        return isinstance(other, PrefectDistributedFuture) and other._task_run_id == self._task_run_id

    def __hash__(self) -> int:
        return hash(self._task_run_id)

    def __reduce__(self) -> tuple[Any, ...]:  # a future passed to another background task
        return (PrefectDistributedFuture, (self._task_run_id,))

    def __repr__(self) -> str:
        return f"PrefectDistributedFuture(task_run_id={self._task_run_id!r})"


def encode(value: Any) -> str:
    # heavy: cloudpickle, only for background tasks
    import cloudpickle

    return base64.b64encode(cloudpickle.dumps(value)).decode("ascii")


def decode(text: str) -> Any:
    # heavy: cloudpickle, only for background tasks
    import cloudpickle

    return cloudpickle.loads(base64.b64decode(text))


def _portable(value: Any) -> Any:
    """Local futures become their final states (they cannot leave this process); distributed
    ones travel as they are and are awaited by the worker."""
    return _visit(value, lambda f: f.final_state() if isinstance(f, PrefectConcurrentFuture) else f)


def apply_async(
    task: Any,  # a `tasks.Task`: tasks.py stands above this module (`Task.apply_async` calls this)
    args: tuple | None = None,
    kwargs: dict[str, Any] | None = None,
    wait_for: Iterable[Any] | None = None,
    run_id: str | None = None,
    dependencies: dict[str, Iterable[Any]] | None = None,
) -> PrefectDistributedFuture:
    """Schedule a background run of `task` for a task worker; its future at once. `dependencies`
    ({parameter: task-run references}) are recorded as the run's inputs."""
    try:
        bound = task.bind(tuple(args or ()), dict(kwargs or {}))
    except TypeError as exc:
        raise ParameterBindError.from_bind_failure(
            task.fn, exc, tuple(args or ()), dict(kwargs or {})
        ) from None
    parameters = _portable(bound)
    waits = _portable(list(wait_for)) if wait_for else None
    run_id = run_id or new_uuid()
    scheduled_in = flow_run_ctx.get()  # a flow run scheduling it: kept as Prefect keeps its context
    state = Scheduled(
        data={
            "background": True,
            "parameters": encode(parameters),
            "wait_for": encode(waits),
            "flow_run_id": str(scheduled_in.flow_run.id) if scheduled_in is not None else None,
        },
        task_run_id=run_id,
    )
    data = state_data(state)
    ts = state.timestamp
    get_client().post(  # at once, not through the batch writer: a worker may claim it now
        "task_runs/batch",
        {
            "task_runs": [
                {
                    "id": run_id,
                    "name": f"{task.name}-{run_id[:8]}",
                    "task_key": task.task_key,
                    "task_version": task.version,
                    "dynamic_key": run_id[:8],
                    "flow_run_id": None,
                    "empirical_policy": task.policy_dict,
                    "tags": sorted(task.tags | tags_ctx.get()),  # `with tags(...)` too
                    "task_inputs": _inputs(task, dependencies),
                    "state_id": state.id,
                    "state_type": state.type.value,
                    "state_name": state.name,
                    "state_message": state.message,
                    "state_timestamp": ts,
                    "state_data": data,
                    "created": ts,
                    "updated": ts,
                }
            ],
            "task_run_states": [
                {
                    "id": state.id,
                    "task_run_id": run_id,
                    "type": state.type.value,
                    "name": state.name,
                    "message": state.message,
                    "timestamp": ts,
                    "data": data,
                }
            ],
        },
    )
    ui = PREFECT_UI_URL.value()
    if ui:  # Prefect's line saying where to watch the run
        where = f"{str(ui).rstrip('/')}/runs/task-run/{run_id}"
        run_logger(None, run_id, f"Task run {task.name!r}", "task_runs").info(
            "Created task run %r. View it in the UI at %r", f"{task.name}-{run_id[:8]}", where
        )
    return PrefectDistributedFuture(run_id)


def _inputs(task: Any, dependencies: dict[str, Iterable[Any]] | None) -> dict[str, list[dict[str, str]]]:
    inputs: dict[str, list[dict[str, str]]] = {name: [] for name in getattr(task, "input_names", ())}
    for name, refs in (dependencies or {}).items():
        inputs[name] = [{"input_type": "task_run", "id": str(ref.id)} for ref in refs]
    return inputs


def read_parameters(task_run_id: str) -> dict[str, Any]:
    """What a background run was scheduled with, as Prefect's stored parameters:
    `{"parameters": ... (if any), "wait_for": [...] (if any), "context": {...}}`."""
    run = get_client().read_task_run(str(task_run_id))
    data = (run.get("state") or {}).get("data") or {}
    saved: dict[str, Any] = {}
    if data.get("parameters") is not None and (parameters := decode(data["parameters"])):
        saved["parameters"] = parameters  # none: no key, as Prefect stores them
    if data.get("wait_for") is not None and decode(data["wait_for"]):
        saved["wait_for"] = decode(data["wait_for"])
    saved["context"] = {"tags": run.get("tags") or []}
    if data.get("flow_run_id"):  # scheduled from inside a flow run: Prefect's serialized context names it
        import uuid  # here: only this read makes the id a UUID

        flow_run = {"id": uuid.UUID(str(data["flow_run_id"]))}
        saved["context"]["flow_run_context"] = {"flow_run": flow_run}
    return saved


class PrefectTaskRunner(TaskRunner):
    """Prefect's runner for background execution: every submitted run is scheduled for a task
    worker (`jupyter_orch.task_worker.serve`) instead of running in this process."""

    def __init__(self) -> None:
        self._watchers: concurrent.futures.ThreadPoolExecutor | None = None

    def duplicate(self) -> PrefectTaskRunner:
        return PrefectTaskRunner()

    def submit(
        self,
        task: Any,
        parameters: dict[str, Any] | None = None,
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> Any:
        if isinstance(task, TaskRunEngine):
            return self.submit_engine(task)
        self._check_started()
        return apply_async(task, kwargs=parameters, wait_for=wait_for)

    def submit_engine(self, engine: TaskRunEngine) -> concurrent.futures.Future[State]:
        """The flow's call: the background run takes the engine's id, a thread waits for it."""
        future = apply_async(
            engine.task, kwargs=engine.parameters, wait_for=engine.wait_for, run_id=engine.id
        )
        if self._watchers is None:
            self._watchers = concurrent.futures.ThreadPoolExecutor(
                DEFAULT_MAX_WORKERS, thread_name_prefix="jupyter-orch-background-watch"
            )
        return self._watchers.submit(future.final_state)

    def shutdown(self, wait: bool = True) -> None:
        if self._watchers is not None:
            self._watchers.shutdown(wait=wait)
            self._watchers = None

    def __repr__(self) -> str:
        return "PrefectTaskRunner()"


__all__ = ["PrefectDistributedFuture", "PrefectTaskRunner", "apply_async"]


def record_run(task: Any, parameters: dict[str, Any] | None, wait_for: Iterable[Any] | None) -> Any:
    """Record a Pending run of `task` (in the flow run in progress, if any) without running it:
    Prefect's `await task.create_run()`; the run as a `TaskRun` (`run_task_sync(task,
    task_run=...)` runs it later)."""
    # the client loads with the first run a task records, as in `apply_async`
    from jupyter_orch.client.orchestration import SyncPrefectClient

    engine = TaskRunEngine(task, flow_run_ctx.get(), dict(parameters or {}), wait_for)
    engine.propose(Pending())
    return SyncPrefectClient().read_task_run(engine.id)
