"""Running a claimed notebook flow run: state, progress, logs and the output notebook.

The worker hands notebook runs to `NotebookExecutor`, which runs each in a thread of the worker
process on a kernel from a warm `KernelPool` (the user's code runs in the kernel process, so the
worker stays isolated from it; a thread avoids a process start that would cost more than the
notebook). `NotebookRunHandle` speaks the worker's `RunHandle` protocol: `poll`, `kill` (which
kills the kernel) and `join_output`. `run_notebook_spec` is the same run in a fresh process (the
engine's run process calls it for a notebook `RunSpec` a process executor started, without a pool).

Outcomes: Completed; Failed naming the cell and the error (traceback in the logs and the state
message); Failed when the kernel dies (the cell and the reason); TimedOut past the deployment's
`job_variables.timeout_seconds`. The partial output notebook is kept in every case.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from datetime import datetime, timezone
from typing import Any

from jupyter_orch.client import new_client
from jupyter_orch.notebooks.kernel_pool import KernelPool, start_ready_kernel
from jupyter_orch.notebooks.snapshot import storage_notebook
from jupyter_orch.parameters import ParameterError, parameter_schema, validate_parameters
from jupyter_orch.run_spec import RunSpec
from jupyter_orch.settings import get_settings
from jupyter_orch.states import Cancelled, Completed, Failed, Running, State, TimedOut

log = logging.getLogger("jupyter_orch.notebooks")  # the logger users configure for notebook runs

__all__ = ["KernelPools", "NotebookExecutor", "NotebookRun", "NotebookRunHandle", "run_notebook_spec"]

LOG_FLUSH_SECONDS = 0.5
#: cells with this tag run when the user runs the notebook, never in a deployment run
#: (e.g. the cell that deploys the notebook itself)
SKIP_TAG = "orch-skip"
MESSAGE_TRACEBACK_CHARS = 4000


def output_location(run_id: str, job_variables: dict[str, Any] | None = None) -> str:
    """Where the run's output notebook goes: `job_variables.output_url` (a path or fsspec URL,
    `{flow_run_id}` substituted) or `$JUPYTER_ORCH_HOME/outputs/<flow_run_id>.ipynb`."""
    template = (job_variables or {}).get("output_url")
    if template:
        return str(template).format(flow_run_id=run_id)
    return str(get_settings().outputs_dir / f"{run_id}.ipynb")


def run_cwd(deployment: dict[str, Any], notebook: str) -> str:
    """The source notebook's folder (relative paths behave as when the user runs it there)."""
    path = deployment.get("path")
    if path and os.path.isfile(path):
        return os.path.dirname(path)
    if path and os.path.isdir(path):
        return path
    return os.path.dirname(os.path.abspath(notebook))


class KernelPools:
    """One `KernelPool` per kernel name, created on the first run of that kernel (or `prewarm`);
    `size=0` disables warming. Lazy so that a worker that never runs a notebook (or a server
    whose user never schedules one) never starts kernels."""

    def __init__(self, size: int = 1, start_timeout: float = 60) -> None:
        self.size = max(0, int(size))
        self.start_timeout = start_timeout
        self._pools: dict[str, KernelPool] = {}
        self._lock = threading.Lock()

    def prewarm(self, kernel_name: str = "python3") -> None:
        """Start filling the pool of `kernel_name` now, before any run asks for it."""
        if self.size:
            self._pool(kernel_name)

    def _pool(self, kernel_name: str) -> KernelPool:
        with self._lock:
            pool = self._pools.get(kernel_name)
            if pool is None:
                pool = KernelPool(kernel_name, size=self.size, startup_timeout=self.start_timeout)
                self._pools[kernel_name] = pool
            return pool

    def acquire(self, kernel_name: str, cwd: str, start_timeout: float | None = None) -> Any:
        """A started kernel used by nobody before (warm when the pool has one)."""
        timeout = start_timeout or self.start_timeout
        if not self.size:
            return start_ready_kernel(kernel_name, timeout, cwd)
        return self._pool(kernel_name).acquire()

    def wait_ready(self, timeout: float | None = None) -> bool:
        with self._lock:
            pools = list(self._pools.values())
        return all(p.wait_ready(timeout) for p in pools)

    def shutdown(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown()


class _Reporter:
    """Logs and progress of one run, buffered so a chatty cell costs few writes."""

    def __init__(self, client: Any, run_id: str) -> None:
        self.client = client
        self.run_id = run_id
        self._logs: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.progress: dict[str, Any] = {"cell": 0, "cells": 0, "cell_started": None, "durations": []}
        self._streamed: dict[int, str] = {}

    def log(self, message: str, level: int = logging.INFO, name: str = "notebook") -> None:
        with self._lock:
            self._logs.append(
                {
                    "flow_run_id": self.run_id,
                    "level": level,
                    "message": message,
                    "name": name,
                    "timestamp": datetime.now(timezone.utc),
                }
            )
            due = time.monotonic() - self._last_flush >= LOG_FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._logs = self._logs, []
            self._last_flush = time.monotonic()
        if batch:
            try:
                self.client.create_logs(batch)
            except Exception:
                log.exception("could not write %d log records of run %s", len(batch), self.run_id)

    def update(self, **fields: Any) -> None:
        try:
            self.client.update_flow_run(self.run_id, **fields)
        except Exception:
            log.exception("could not update run %s", self.run_id)

    # -- executor callbacks ----------------------------------------------------------------------
    def on_cell_start(self, index: int, total: int, preview: str) -> None:
        self.progress.update(
            cell=index + 1,
            cells=total,
            cell_started=datetime.now(timezone.utc).isoformat(),
            source=preview,
        )
        self.update(progress=dict(self.progress))

    def on_cell_end(self, index: int, total: int, duration: float, tail: str) -> None:
        self.progress["durations"] = [*self.progress["durations"], round(duration, 4)]
        self.progress["cell_started"] = None
        streamed = self._streamed.pop(index, "")
        rest = tail.replace(streamed, "", 1) if streamed and streamed in tail else tail
        message = f"cell {index + 1}/{total} finished in {duration:.2f}s"
        if rest.strip() and rest.strip() != streamed.strip():
            message += "\n" + rest.rstrip()
        self.log(message, logging.INFO, "notebook.cell")
        self.update(progress=dict(self.progress))
        self.flush()

    def on_log(self, index: int, stream: str, text: str) -> None:
        self._streamed[index] = self._streamed.get(index, "") + text
        level = logging.WARNING if stream == "stderr" else logging.INFO
        for line in text.rstrip("\n").split("\n"):
            self.log(line, level, f"notebook.{stream}")


class NotebookRun:
    """One claimed notebook run: propose Running, execute, report, propose the final state."""

    def __init__(self, spec: RunSpec, client: Any, pools: KernelPools | None = None) -> None:
        self.spec = spec
        self.run_id: str = spec.flow_run_id
        self.deployment: dict[str, Any] = spec.deployment.to_dict()
        self.job: dict[str, Any] = self.deployment.get("job_variables") or {}
        self.client = client
        self.pools = pools or KernelPools(0)
        self.reporter = _Reporter(client, self.run_id)
        self.kernel: Any = None
        self.cancelled = threading.Event()

    def kill_kernel(self) -> None:
        """Cancel: kill the kernel, so the executor returns at once with the partial output."""
        self.cancelled.set()
        km = self.kernel
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)

    def execute(self) -> int:
        """Run to a final state; the exit code the worker sees (0 also when the run failed)."""
        decision = self.client.set_flow_run_state(self.run_id, Running())
        if decision["status"] != "ACCEPT":
            log.info("run %s not started: %s", self.run_id, decision.get("reason"))
            return 0
        try:
            notebook = storage_notebook(self.deployment)
            output = output_location(self.run_id, self.job)
            self.reporter.update(output_location=output)
            self._execute(notebook, output)
        except BaseException as exc:  # noqa: BLE001 - every outcome must end the run
            self.reporter.flush()
            self._finish(self._failure_state(exc))
            return 0 if isinstance(exc, Exception) else 1
        self.reporter.flush()
        self._finish(Completed(message=f"{self.reporter.progress['cells']} cells executed"))
        return 0

    def _execute(self, notebook: str, output: str) -> None:
        # papermill and nbclient take ~1 s to import: only when a notebook runs (or `_preload`)
        from jupyter_orch.notebooks.executor import (
            ExecutionCallbacks,
            KernelStartError,
            _nb_kernel,
            execute_notebook,
        )

        nb = _load(notebook)
        nb.cells = [c for c in nb.cells if SKIP_TAG not in c.get("metadata", {}).get("tags", [])]
        params = self.spec.parameters
        schema = parameter_schema(nb)
        if schema["properties"]:  # before any kernel starts
            params = validate_parameters(schema, params)
        kernel_name = self.job.get("kernel_name") or _nb_kernel(nb)
        cwd = run_cwd(self.deployment, notebook)
        start_timeout = float(self.job.get("start_timeout") or 60)
        self.reporter.log(f"running {notebook} on a {kernel_name} kernel in {cwd}")
        try:
            self.kernel = self.pools.acquire(kernel_name, cwd, start_timeout)
        except Exception as exc:
            raise KernelStartError(f"kernel {kernel_name!r} did not start: {exc}") from exc
        if self.cancelled.is_set():
            self.kill_kernel()
        callbacks = ExecutionCallbacks(
            on_cell_start=self.reporter.on_cell_start,
            on_cell_end=self.reporter.on_cell_end,
            on_log=self.reporter.on_log,
        )
        timeout = self.job.get("timeout_seconds")
        execute_notebook(
            nb,
            output,
            parameters=params,
            execution_timeout=float(timeout) if timeout else None,
            start_timeout=start_timeout,
            cwd=cwd,
            callbacks=callbacks,
            kernel_manager=self.kernel,
            validate=False,
        )

    def _failure_state(self, exc: BaseException) -> State:
        from jupyter_orch.notebooks.executor import (  # papermill: heavy
            CellExecutionError,
            CellTimeout,
            KernelDied,
        )

        if self.cancelled.is_set():
            return Cancelled(message="cancelled: kernel killed")
        if isinstance(exc, CellTimeout):
            self.reporter.log(str(exc), logging.ERROR)
            return TimedOut(message=str(exc))
        if isinstance(exc, CellExecutionError):
            self.reporter.log(f"cell {exc.cell_index + 1} failed:\n{exc.traceback_text}", logging.ERROR)
            tb = exc.traceback_text[-MESSAGE_TRACEBACK_CHARS:]
            return Failed(message=f"cell {exc.cell_index + 1} raised {exc.ename}: {exc.evalue}\n{tb}")
        if isinstance(exc, KernelDied):
            cell = f"cell {exc.cell_index + 1}" if exc.cell_index is not None else "start-up"
            message = f"kernel died in {cell}: {exc.reason}"
            self.reporter.log(message, logging.ERROR)
            return Failed(message=message)
        if isinstance(exc, ParameterError):
            self.reporter.log(f"invalid parameter: {exc}", logging.ERROR)
            return Failed(message=f"invalid parameter {exc.field}: {exc}")
        log.error("notebook run %s failed", self.run_id, exc_info=exc)
        self.reporter.log(f"{type(exc).__name__}: {exc}", logging.ERROR)
        return Failed(message=f"{type(exc).__name__}: {exc}")

    def _finish(self, state: State) -> None:
        self.reporter.flush()
        try:
            self.client.set_flow_run_state(self.run_id, state)
        except Exception:
            log.exception("could not record the final state of run %s", self.run_id)


def _load(path: str) -> Any:
    # heavy: fsspec and nbformat, only for a notebook run's source
    import fsspec
    import nbformat

    with fsspec.open(path, "r", encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


class NotebookRunHandle:
    """The worker's handle on a notebook run executing in a thread (see `RunHandle`)."""

    def __init__(self, run: NotebookRun) -> None:
        self.run_id = run.run_id
        self.pid = os.getpid()
        self.cancel_requested = False
        self.started_by_worker = False  # only prepared Python runs are started by their worker
        self._run = run
        self._code: int | None = None
        self._thread = threading.Thread(target=self._target, name=f"notebook-{run.run_id[:8]}", daemon=True)
        self._thread.start()

    def _target(self) -> None:
        try:
            self._code = self._run.execute()
        except BaseException:  # noqa: BLE001 - reported as a crash by the worker
            log.exception("notebook run %s crashed", self.run_id)
            self._code = 1

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else (self._code if self._code is not None else 1)

    def kill(self, grace: float = 3.0) -> None:
        self.cancel_requested = True
        self._run.kill_kernel()

    def join_output(self, timeout: float = 2.0) -> None:
        self._thread.join(timeout)


class NotebookExecutor:
    """Starts notebook runs for a worker, on kernels from its warm pools."""

    def __init__(self, client: Any, kernel_pool_size: int = 1) -> None:
        self.client = client
        self.pools = KernelPools(kernel_pool_size)

    def prewarm(self, kernel_name: str = "python3") -> None:
        """Fill the pool now and import papermill/nbclient (~1 s) off the first run's clock."""
        if self.pools.size:
            self.pools.prewarm(kernel_name)
            threading.Thread(target=_preload, name="notebook-preload", daemon=True).start()

    def start(self, spec: RunSpec) -> NotebookRunHandle:
        return NotebookRunHandle(NotebookRun(spec, self.client, self.pools))

    def close(self) -> None:
        self.pools.shutdown()


def _preload() -> None:
    from jupyter_orch.notebooks import executor  # noqa: F401  (papermill: heavy, imported off the clock)


def run_notebook_spec(spec: RunSpec) -> int:
    """One notebook run in this (fresh) process, no pool (the run process's notebook runner)."""
    os.environ.pop("JUPYTER_ORCH_FLOW_RUN_ID", None)  # the kernel must not adopt the notebook's run
    return NotebookRun(spec, new_client()).execute()
