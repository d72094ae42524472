"""Task workers, as Prefect's `prefect.task_worker` (re-exported there): `serve(task_a, task_b,
limit=10)` runs, until interrupted, the background task runs that `task_a.delay(...)` /
`.apply_async(...)` schedule, in this process, reporting through the process's client (the
database, or a server when `JUPYTER_ORCH_API_URL` is set). Several workers may serve the same
tasks: each run is claimed by exactly one (`POST /task_runs/background/claim`).

It stands below `engine.tasks` (whose `Task.serve` starts one) and takes tasks untyped: a task is
what has a `task_key` and a function."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.background import decode
from jupyter_orch.engine.context import tags_ctx
from jupyter_orch.engine.task_drivers import run_task_sync
from jupyter_orch.engine.task_engine import TaskRunEngine

logger = logging.getLogger("jupyter_orch.task_worker")

#: seconds between claims while nothing waits (a claim that finds work is followed at once)
POLL_INTERVAL = 0.2


class TaskWorker:
    """Claims and runs background task runs of `tasks`, at most `limit` at a time (threads)."""

    def __init__(self, *tasks: Any, limit: int | None = 10, poll_interval: float = POLL_INTERVAL) -> None:
        if not tasks:
            raise ValueError("a task worker needs at least one task to serve")
        for t in tasks:
            if not (hasattr(t, "task_key") and callable(getattr(t, "fn", None))):
                raise TypeError(f"task workers serve @task functions, got {t!r}")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        # results must be loadable by whoever holds the future: background runs persist them
        self.tasks = {
            t.task_key: (t if t.persist_result is not None else t.with_options(persist_result=True))
            for t in tasks
        }
        self.limit = limit or 10
        self.poll_interval = poll_interval
        self.name = f"{socket.gethostname()}-{os.getpid()}-{id(self) % 10000}"
        self._stop = threading.Event()
        self._running = 0
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Serve until `stop()` (or Ctrl-C); waits for the runs in progress before returning."""
        self._pool = concurrent.futures.ThreadPoolExecutor(
            self.limit, thread_name_prefix="jupyter-orch-task-worker"
        )
        logger.info(
            "Task worker %s serving %s", self.name, ", ".join(sorted(t.name for t in self.tasks.values()))
        )
        restore = self._stop_on_sigint()
        try:
            while not self._stop.is_set():
                claimed = self.run_once()
                if not claimed:
                    self._stop.wait(self.poll_interval)
        except KeyboardInterrupt:
            logger.info("Task worker %s interrupted", self.name)
        finally:
            if restore is not None:
                restore()
            self._pool.shutdown(wait=True)
            self._pool = None
            get_client().flush()

    def _stop_on_sigint(self) -> Callable[[], Any] | None:
        """Serving in the main thread, Ctrl-C (SIGINT) asks the loop to stop after the claim in
        progress, rather than raising KeyboardInterrupt inside it (a database call cut in the
        middle fails its connection's clean-up, and the worker would exit with an error); a
        second Ctrl-C interrupts at once. What puts the previous handler back (None: not the
        main thread, nothing changed)."""
        if threading.current_thread() is not threading.main_thread():
            return None
        import signal  # only a served worker handles Ctrl-C; the engine's import stays lean

        def on_sigint(signum: int, frame: Any) -> None:
            if self._stop.is_set():
                raise KeyboardInterrupt
            logger.info("Task worker %s stopping (Ctrl-C again to interrupt)", self.name)
            self._stop.set()

        previous = signal.signal(signal.SIGINT, on_sigint)
        return lambda: signal.signal(signal.SIGINT, previous)

    def stop(self) -> None:
        self._stop.set()

    def __enter__(self) -> TaskWorker:
        threading.Thread(target=self.start, name="jupyter-orch-task-worker", daemon=True).start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- one round -------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim what free slots allow and start running it; how many runs were claimed."""
        with self._lock:
            free = self.limit - self._running
        if free <= 0:
            return 0
        claimed = get_client().post(
            "task_runs/background/claim",
            {"task_keys": sorted(self.tasks), "limit": free, "worker": self.name[:255]},
        )
        for run in claimed:
            with self._lock:
                self._running += 1
            assert self._pool is not None
            self._pool.submit(self._execute, run)
        return len(claimed)

    async def execute_task_run(self, task_run: Any) -> None:
        """Run one background task run now (a `TaskRun` as `PrefectClient.read_task_run` answers
        it), whoever scheduled it; as Prefect's `TaskWorker.execute_task_run`."""
        run = {
            "id": str(task_run.id),
            "name": task_run.name,
            "task_key": task_run.task_key,
            "dynamic_key": task_run.dynamic_key,
            "tags": task_run.tags,
            "scheduled": {"result": task_run.state.data if task_run.state is not None else None},
        }
        with self._lock:
            self._running += 1
        await asyncio.to_thread(self._execute, run)

    def _execute(self, run: dict[str, Any]) -> None:
        try:
            task = self.tasks[run["task_key"]]
            scheduled = (run.get("scheduled") or {}).get("result") or {}
            parameters = decode(scheduled["parameters"])
            wait_for = decode(scheduled["wait_for"]) if scheduled.get("wait_for") else None
            tagged = tags_ctx.set(frozenset(run.get("tags") or ()))  # the tags it was scheduled with
            try:
                engine = TaskRunEngine(task, None, parameters, wait_for)
                engine.id, engine.name, engine.dynamic_key = run["id"], run["name"], run["dynamic_key"]
                run_task_sync(engine)
            finally:
                tags_ctx.reset(tagged)
        except BaseException:  # never let one run stop the worker; the engine recorded it
            logger.exception("Task run %s could not be run", run.get("name"))
        finally:
            try:
                get_client().flush()  # its waiting futures see the end now, not at the next batch
            finally:
                with self._lock:
                    self._running -= 1


def serve(
    *tasks: Any, limit: int | None = 10, status_server_port: int | None = None, timeout: float | None = None
) -> Any:
    """Run a task worker for `tasks` in this process until interrupted (or `timeout` seconds).
    In async code (a running event loop) it returns an awaitable, as Prefect's `serve` does;
    `status_server_port` is accepted for Prefect's signature (no status server is started)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _serve(tasks, limit, timeout)
    return asyncio.to_thread(_serve, tasks, limit, timeout)


def _serve(tasks: tuple[Any, ...], limit: int | None, timeout: float | None) -> None:
    worker = TaskWorker(*tasks, limit=limit)
    timer = None
    if timeout is not None:
        timer = threading.Timer(timeout, worker.stop)
        timer.daemon = True
        timer.start()
    try:
        worker.start()
    finally:
        if timer is not None:
            timer.cancel()


__all__ = ["TaskWorker", "serve"]
