"""Task runners: where submitted task runs execute.

The thread pool and dask runners keep orchestration (states, retries, records) in the flow's
process and decide where the task *body* runs: in threads here, or on dask.distributed workers.
`ProcessPoolTaskRunner` (`process_runner.py`) runs whole task runs in child processes, which
report through their own client.

Prefect's runner interface works too: `with ThreadPoolTaskRunner() as runner:
runner.submit(task, parameters)` / `runner.map(task, parameters)` give futures.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import copy
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import flow_run_ctx, task_run_ctx
from jupyter_orch.engine.futures import PrefectConcurrentFuture, PrefectFutureList
from jupyter_orch.engine.mapping import expand
from jupyter_orch.engine.task_drivers import run_task_async, run_task_sync
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.thread_pool import EnginePool
from jupyter_orch.engine.timeouts import TaskRunTimeout, call_with_timeout
from jupyter_orch.settings import PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS

if TYPE_CHECKING:
    from jupyter_orch.states import State

DEFAULT_MAX_WORKERS = 64


class TaskRunner:
    """Base: each flow run uses its own copy (`duplicate`) and shuts it down when it ends; also
    a context manager (shut down, waiting for its runs, on exit)."""

    #: set by `with runner:`; Prefect's `submit(task, parameters)` needs it outside a flow
    _started = False

    @property
    def name(self) -> str:
        return type(self).__name__.removesuffix("TaskRunner").lower()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self).get("max_workers") == vars(other).get("max_workers")

    def __hash__(self) -> int:
        return hash((type(self), vars(self).get("max_workers")))

    def _check_started(self) -> None:
        ctx = flow_run_ctx.get()
        if not self._started and (ctx is None or ctx.task_runner is not self):
            raise RuntimeError("Task runner is not started: use it as a context manager (`with runner:`)")

    def duplicate(self) -> TaskRunner:
        return copy.copy(self)

    def submit_engine(self, engine: TaskRunEngine) -> concurrent.futures.Future[State]:
        """Start driving `engine` to its final state; a future of that state (the engine's API)."""
        raise NotImplementedError

    def submit(
        self,
        task: Any,  # a `tasks.Task` (tasks.py stands above the runners), or an engine
        parameters: dict[str, Any] | None = None,
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> Any:
        """Prefect's interface: a task run of `task` with `parameters`, as a future (recorded in
        the current flow run, or on its own outside one)."""
        if isinstance(task, TaskRunEngine):  # the engine's own call (older spelling)
            return self.submit_engine(task)
        self._check_started()
        engine = TaskRunEngine(task, flow_run_ctx.get(), task.bind((), dict(parameters or {})), wait_for)
        return PrefectConcurrentFuture(engine.id, self.submit_engine(engine), engine)

    def map(
        self, task: Any, parameters: dict[str, Any], wait_for: Iterable[Any] | None = None
    ) -> PrefectFutureList:
        """Prefect's interface: one task run per element of the iterable parameters."""
        self._check_started()
        futures: PrefectFutureList = PrefectFutureList()
        for params in expand(task.name, task.signature, (), dict(parameters)):
            futures.append(self.submit(task, params, wait_for))
        return futures

    def __enter__(self) -> TaskRunner:
        self._started = True
        self.start()
        return self

    def start(self) -> None:
        """Make the executors now rather than at the first submission (the flow engine's copies
        start lazily)."""
        return None

    def __exit__(self, *exc_info: Any) -> None:
        self._started = False
        self.shutdown(wait=True)
        if flow_run_ctx.get() is None:  # runs of no flow: written before the block is left
            get_client().flush()

    def run_body(
        self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], timeout: float | None
    ) -> Any:
        """Call a task body for a submitted run (the engine calls this from its thread)."""
        return call_with_timeout(fn, args, kwargs, timeout)

    def shutdown(self, wait: bool = True) -> None:
        return None


class ThreadPoolTaskRunner(TaskRunner):
    """Runs submitted tasks in threads of this process (async ones on the engine's event loop)."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = (
            max_workers or PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS.value() or DEFAULT_MAX_WORKERS
        )
        self._executor: EnginePool | None = None

    def duplicate(self) -> ThreadPoolTaskRunner:
        return ThreadPoolTaskRunner(self.max_workers)

    def start(self) -> None:
        if self._executor is None:
            self._executor = EnginePool(self._drive, self.max_workers, thread_name_prefix="jupyter-orch-task")

    def _drive(self, engine: TaskRunEngine) -> State:
        if engine.task.is_async:  # a nested async run: on an event loop of this thread's own
            return run_task_sync(engine)
        return run_task_sync(engine, self.run_body)

    def submit_engine(self, engine: TaskRunEngine) -> concurrent.futures.Future[State]:
        # An async run goes to the shared event loop, unless a task run submits it: that run's
        # body may block on the future (`future.result()` in an async task, as Prefect allows),
        # which would stop the very loop the nested run needs; a pool thread runs it instead.
        if engine.task.is_async and task_run_ctx.get() is None:
            # heavy: asyncio, only for async tasks (a sync flow's first call never loads it)
            import asyncio

            from jupyter_orch.engine.asyncutils import background_loop

            return asyncio.run_coroutine_threadsafe(run_task_async(engine), background_loop())
        if self._executor is None:
            self.start()
        return self._executor.submit(engine)  # type: ignore[union-attr]

    def shutdown(self, wait: bool = True) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
            self._executor = None

    def __repr__(self) -> str:
        return f"ThreadPoolTaskRunner(max_workers={self.max_workers})"


class DaskTaskRunner(TaskRunner):
    """Runs submitted task bodies on dask.distributed: at `address`, or on a LocalCluster it starts
    (threads in this process unless `cluster_kwargs` says otherwise) and closes at flow end.

    Each run's engine (states, retries, records) runs in a thread here; its body goes through a
    `DaskBridge` (`dask_bridge.py`), which sends bodies to the cluster in batches (quick ones
    several to a Dask task) and resolves their results in batches."""

    def __init__(
        self,
        address: str | None = None,
        cluster_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.client_kwargs = dict(client_kwargs or {})
        self._client: Any = None
        self._cluster: Any = None
        self._bridge: Any = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def duplicate(self) -> DaskTaskRunner:
        return DaskTaskRunner(self.address, self.cluster_kwargs, self.client_kwargs)

    @property
    def client(self) -> Any:
        """The dask `Client`, connecting (or starting the LocalCluster) on first use."""
        if self._client is None:
            # optional: dask's distributed, only with the dask task runner
            from distributed import Client, LocalCluster

            if self.address:
                self._client = Client(self.address, **self.client_kwargs)
            else:
                kwargs = {
                    "processes": False,
                    "n_workers": 1,
                    "threads_per_worker": 2,
                    "dashboard_address": None,
                }
                kwargs.update(self.cluster_kwargs)
                self._cluster = LocalCluster(**kwargs)
                self._client = Client(self._cluster, **self.client_kwargs)
        return self._client

    @property
    def bridge(self) -> Any:
        """The `DaskBridge` over `client` (made with it)."""
        if self._bridge is None:
            from jupyter_orch.engine.dask_bridge import DaskBridge  # imports distributed: optional

            self._bridge = DaskBridge(self.client)
        return self._bridge

    def submit_engine(self, engine: TaskRunEngine) -> concurrent.futures.Future[State]:
        self.bridge  # noqa: B018 - connect before the first task, not inside it
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                DEFAULT_MAX_WORKERS, thread_name_prefix="jupyter-orch-dask"
            )
        return self._executor.submit(contextvars.copy_context().run, run_task_sync, engine, self.run_body)

    def run_body(
        self, fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], timeout: float | None
    ) -> Any:
        bridge = self.bridge
        future = bridge.submit(fn, args, kwargs, bundle=timeout is None)  # a timeout: a task of its own
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            if future.done():  # the body's own TimeoutError
                raise
            bridge.cancel(future)
            raise TaskRunTimeout("Task", timeout or 0) from None

    def shutdown(self, wait: bool = True) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
            self._executor = None
        if self._bridge is not None:
            self._bridge.close(wait)
            self._bridge = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __repr__(self) -> str:
        return f"DaskTaskRunner(address={self.address!r})"
