"""The worker: `jupyter orch worker start --pool NAME`.

One loop, every `poll_interval` seconds: reap finished processes (a run whose process ended
without a final state is proposed CRASHED, or CANCELLED if we killed it), heartbeat the worker and
its runs (the answer tells which runs are being cancelled: their process groups are killed),
claim due runs while below `limit`, start each in a fresh process, and ship their output as logs.

Claim-ahead: each claim also takes the runs due within the next `claim_ahead` seconds (their
PENDING carries the time to start them at; the rules allow that only a few seconds ahead). A
Python run claimed ahead gets its process at once: it prepares (imports the flow's module, opens
its database connection) and then waits for the run's time on its own clock, so the run starts on
time however many start in the same second. Runs of other kinds wait in the worker until due.
Runs claimed ahead are heartbeated like running ones: if this worker dies before starting them,
crash detection marks them Crashed; a worker shutting down hands unstarted ones back (SCHEDULED).
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from jupyter_orch.db.models import utcnow
from jupyter_orch.states import TERMINAL_STATES, Cancelled, Crashed, Scheduled
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
        claim_ahead: float = 2.0,
        claim_batch: int = 100,
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
        self.claim_ahead = max(0.0, float(claim_ahead))
        self.claim_batch = max(1, int(claim_batch))
        # notebook runs go to warm kernels: `kernel_pool_size` started per kernelspec (0: none)
        from jupyter_orch.notebooks.run import NotebookExecutor

        self.executor = KindExecutor(
            ProcessExecutor(self._on_line, env=env, warm=warm),
            {"notebook": NotebookExecutor(self.transport, kernel_pool_size)},
        )
        self.running: dict[str, RunHandle] = {}
        #: runs claimed ahead that wait in the worker: a heap of (start at, epoch s; run id), and runs
        self._waiting: list[tuple[float, str]] = []
        self.waiting: dict[str, dict[str, Any]] = {}
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
        started = self._start_due()
        held = len(self.running) + len(self.waiting)
        capacity = self.claim_batch if self.limit is None else self.limit - held
        if capacity > 0:
            horizon = utcnow() + timedelta(seconds=self.claim_ahead) if self.claim_ahead else None
            for run in self.transport.claim(
                self.pool,
                self.name,
                min(capacity, self.claim_batch),
                self.deployment_ids,
                self.queues,
                scheduled_before=horizon,
            ):
                self._accept(run)
                started += 1
        started += self._start_due()
        self._flush_logs()
        return started

    def next_start_in(self) -> float | None:
        """Seconds until the next run waiting in the worker is due (None: none waits)."""
        return self._waiting[0][0] - time.time() if self._waiting else None

    def run(self, stop: threading.Event | None = None) -> None:
        """Claim and run until `stop()` (or the given event) is set, then `close()`."""
        stop = stop or self._stop
        self.executor.warm_up()
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
                    pause = self.poll_interval - (time.monotonic() - began)
                    due_in = self.next_start_in()
                    if due_in is not None:
                        pause = min(pause, due_in)
                    stop.wait(max(0.0, pause))
        finally:
            self.close()

    def stop(self) -> None:
        self._stop.set()

    def close(self, grace: float | None = None) -> None:
        """Let running runs finish for `grace` seconds (heartbeating them), then kill the rest."""
        grace = self.shutdown_grace if grace is None else grace
        self._release_waiting()
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
    def _accept(self, run: dict[str, Any]) -> None:
        """A claimed run: start it now, prestart it (its process waits), or hold it until due."""
        start_at = _start_at(run)
        if start_at is None or start_at <= time.time() or self.executor.can_prestart(run):
            self._start(run, start_at)
        else:
            self.waiting[run["id"]] = run
            heapq.heappush(self._waiting, (start_at, run["id"]))

    def _start_due(self) -> int:
        started = 0
        while self._waiting and self._waiting[0][0] <= time.time():
            _, run_id = heapq.heappop(self._waiting)
            run = self.waiting.pop(run_id, None)
            if run is not None:  # else cancelled while waiting
                self._start(run)
                started += 1
        return started

    def _release_waiting(self) -> None:
        """Shutting down: hand runs claimed ahead and not started back to their schedule."""
        for run_id, run in list(self.waiting.items()):
            when = datetime.fromtimestamp(_start_at(run) or time.time(), timezone.utc)
            try:
                self.transport.set_state(run_id, Scheduled(scheduled_time=when))
            except Exception:
                log.exception("could not hand back run %s", run_id)
        self.waiting.clear()
        self._waiting.clear()

    def _start(self, run: dict[str, Any], start_at: float | None = None) -> None:
        try:
            self.running[run["id"]] = self.executor.start(run, start_at=start_at)
        except Exception as exc:
            log.exception("could not start run %s", run["id"])
            self.transport.set_state(run["id"], Crashed(message=f"worker could not start it: {exc}"))

    def _heartbeat(self) -> None:
        self._last_heartbeat = time.monotonic()
        states = self.transport.heartbeat(self.pool, self.name, [*self.running, *self.waiting])
        for run_id, state_type in states.items():
            if run_id in self.waiting and (state_type == "CANCELLING" or state_type in FINAL):
                del self.waiting[run_id]  # its heap entry is skipped when due
                if state_type == "CANCELLING":
                    self.transport.set_state(run_id, Cancelled(message="cancelled before it started"))
                continue
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


def _start_at(run: dict[str, Any]) -> float | None:
    """When a run claimed ahead is to start (epoch seconds): its PENDING state's scheduled time."""
    state = run.get("state") or {}
    when = state.get("scheduled_time") if state.get("type") == "PENDING" else None
    if not when:
        return None
    dt = datetime.fromisoformat(when) if isinstance(when, str) else when
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
