"""The worker: `jupyter orch worker start --pool NAME`.

One loop, every `poll_interval` seconds: reap finished processes (a run whose process ended
without a final state is proposed CRASHED, or CANCELLED if we killed it), heartbeat the worker and
its runs (the answer tells which runs are being cancelled: their process groups are killed),
claim due runs while below `limit`, start each in a fresh process, and ship their output as logs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from jupyter_orch.db.models import utcnow
from jupyter_orch.states import TERMINAL_STATES, Cancelled, Crashed
from jupyter_orch.workers.executors import KindExecutor, ProcessExecutor, RunHandle
from jupyter_orch.workers.transport import Transport, get_transport

log = logging.getLogger("jupyter_orch.worker")
FINAL = {t.value for t in TERMINAL_STATES}


class Worker:
    def __init__(
        self,
        pool: str = "default",
        name: str | None = None,
        transport: Transport | None = None,
        poll_interval: float = 0.5,
        heartbeat_interval: float = 2.0,
        limit: int | None = None,
        deployment_ids: list[str] | None = None,
        queues: list[str] | None = None,
        warm: bool = True,
        env: dict[str, str] | None = None,
        shutdown_grace: float = 30.0,
        kernel_pool_size: int = 0,
    ) -> None:
        self.pool = pool
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.transport = transport or get_transport()
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.limit = limit
        self.deployment_ids = deployment_ids
        self.queues = queues
        self.shutdown_grace = shutdown_grace
        # notebook runs go to warm kernels: `kernel_pool_size` started per kernelspec (0: none)
        from jupyter_orch.notebooks.run import NotebookExecutor

        self.executor = KindExecutor(
            ProcessExecutor(self._on_line, env=env, warm=warm),
            {"notebook": NotebookExecutor(self.transport, kernel_pool_size)},
        )
        self.running: dict[str, RunHandle] = {}
        self._logs: list[dict[str, Any]] = []
        self._logs_lock = threading.Lock()
        self._last_heartbeat = 0.0
        self._stop = threading.Event()

    # -- output → logs -------------------------------------------------------------------------
    def _on_line(self, run_id: str, level: int, line: str) -> None:
        with self._logs_lock:
            self._logs.append(
                {
                    "flow_run_id": run_id,
                    "level": level,
                    "message": line,
                    "name": "stdout" if level < 40 else "stderr",
                    "timestamp": utcnow(),
                }
            )

    def _flush_logs(self) -> None:
        with self._logs_lock:
            batch, self._logs = self._logs, []
        if batch:
            try:
                self.transport.write_logs(batch)
            except Exception:
                log.exception("could not write %d log lines", len(batch))

    # -- the loop ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """One iteration; returns the number of runs started."""
        self._reap()
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
            self._heartbeat()
        started = 0
        capacity = 100 if self.limit is None else self.limit - len(self.running)
        if capacity > 0:
            for run in self.transport.claim(
                self.pool, self.name, min(capacity, 100), self.deployment_ids, self.queues
            ):
                self._start(run)
                started += 1
        self._flush_logs()
        return started

    def run(self, stop: threading.Event | None = None) -> None:
        """Claim and run until `stop()` (or the given event) is set, then `close()`."""
        stop = stop or self._stop
        self._heartbeat()
        try:
            while not stop.is_set() and not self._stop.is_set():
                began = time.monotonic()
                try:
                    started = self.run_once()
                except Exception:
                    log.exception("worker iteration failed")
                    started = 0
                if not started:
                    stop.wait(max(0.0, self.poll_interval - (time.monotonic() - began)))
        finally:
            self.close()

    def stop(self) -> None:
        self._stop.set()

    def close(self, grace: float | None = None) -> None:
        """Let running runs finish for `grace` seconds (heartbeating them), then kill the rest."""
        grace = self.shutdown_grace if grace is None else grace
        deadline = time.monotonic() + grace
        while self.running and time.monotonic() < deadline:
            self._reap()
            if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
                self._heartbeat()
            self._flush_logs()
            time.sleep(min(self.poll_interval, 0.2))
        for handle in self.running.values():
            handle.kill(grace=1.0)
        while self.running and time.monotonic() < deadline + 5:
            self._reap()
            time.sleep(0.05)
        self._flush_logs()
        self.executor.close()

    # -- steps ---------------------------------------------------------------------------------
    def _start(self, run: dict[str, Any]) -> None:
        try:
            self.running[run["id"]] = self.executor.start(run)
        except Exception as exc:
            log.exception("could not start run %s", run["id"])
            self.transport.set_state(run["id"], Crashed(message=f"worker could not start it: {exc}"))

    def _heartbeat(self) -> None:
        self._last_heartbeat = time.monotonic()
        states = self.transport.heartbeat(self.pool, self.name, list(self.running))
        for run_id, state_type in states.items():
            handle = self.running.get(run_id)
            if handle is None or handle.cancel_requested:
                continue
            if state_type == "CANCELLING" or state_type in FINAL:
                log.info("run %s is %s: killing its process group", run_id, state_type)
                handle.kill()

    def _reap(self) -> None:
        for run_id, handle in list(self.running.items()):
            code = handle.poll()
            if code is None:
                continue
            del self.running[run_id]
            handle.join_output()
            self._finish(handle, code)

    def _finish(self, handle: RunHandle, code: int) -> None:
        try:
            run = self.transport.read_flow_run(handle.run_id)
        except Exception:
            log.exception("run %s vanished", handle.run_id)
            return
        if run["state_type"] in FINAL:
            return
        if handle.cancel_requested or run["state_type"] == "CANCELLING":
            self.transport.set_state(handle.run_id, Cancelled(message="cancelled: process killed by worker"))
        elif run["state_type"] in ("PENDING", "RUNNING"):
            why = (
                f"process exited with code {code}"
                if code
                else "process exited without reporting a final state"
            )
            self.transport.set_state(handle.run_id, Crashed(message=why))
