"""The worker: `jupyter orch worker start --pool NAME`.

One loop, every `poll_interval` seconds: reap finished processes (a run whose process ended
without a final state is proposed CRASHED, or CANCELLED if we killed it), heartbeat the worker and
its runs (the answer tells which runs are being cancelled: their process groups are killed),
claim due runs while below `limit`, start each in a fresh process, and ship their output as logs.

Claim-ahead: each claim also takes the runs due within the next `claim_ahead` seconds (their
PENDING carries the time to start them at; the rules allow that up to a minute ahead). A
Python run claimed ahead gets its process at once: it prepares (imports the flow's module, opens
its database connection) and then waits to be released. At the runs' time the worker starts all
runs due then with ONE bulk transition (`Transport.set_states`: RUNNING for each, judged by the
same rules and compare-and-set as a single proposal, in one transaction, `start_batch` runs at a
time), then releases each prepared process with its answer through its stdin pipe: the body runs
at once from the RUNNING the worker set (the engine does not propose it again), or the process
exits if the run was not started (e.g. cancelled meanwhile). A thousand runs due in the same
second thus cost one write transaction instead of a thousand competing ones. Runs of other kinds
wait in the worker until due and start as unclaimed-ahead runs do (their process proposes RUNNING).
Runs claimed ahead are heartbeated like running ones: if this worker dies before starting them,
their processes die with it (their pipe closes) and crash detection marks the runs Crashed; a
worker shutting down hands unstarted ones back (SCHEDULED).
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

from jupyter_orch.client import OrchClient, new_client
from jupyter_orch.db.models import utcnow
from jupyter_orch.orchestration.errors import NotFound
from jupyter_orch.run_spec import EXIT_COMPLETED, EXIT_FAILED, RunSpec
from jupyter_orch.settings import clip_log_message
from jupyter_orch.states import TERMINAL_STATES, Cancelled, Completed, Crashed, Failed, Running, Scheduled
from jupyter_orch.workers.executors import KindExecutor, ProcessExecutor, RunHandle

log = logging.getLogger("jupyter_orch.worker")
FINAL = {t.value for t in TERMINAL_STATES}


class Worker:
    def __init__(
        self,
        pool: str = "default",
        name: str | None = None,
        client: OrchClient | None = None,
        poll_interval: float = 0.5,
        heartbeat_interval: float = 2.0,
        limit: int | None = None,
        deployment_ids: list[str] | None = None,
        queues: list[str] | None = None,
        warm: bool = True,
        env: dict[str, str] | None = None,
        shutdown_grace: float = 30.0,
        kernel_pool_size: int = 0,
        claim_ahead: float = 30.0,
        claim_batch: int = 100,
        start_batch: int = 2000,
    ) -> None:
        self.pool = pool
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.client = client or new_client()
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.limit = limit
        self.deployment_ids = deployment_ids
        self.queues = queues
        self.shutdown_grace = shutdown_grace
        self.claim_ahead = max(0.0, float(claim_ahead))
        self.claim_batch = max(1, int(claim_batch))
        self.start_batch = max(1, int(start_batch))
        # notebook runs go to warm kernels: `kernel_pool_size` started per kernelspec (0: none)
        from jupyter_orch.workers.notebook_runs import NotebookExecutor  # jupyter_client: heavy

        self.executor = KindExecutor(
            ProcessExecutor(self._on_line, env=env, warm=warm),
            {"notebook": NotebookExecutor(self.client, kernel_pool_size)},
        )
        self.running: dict[str, RunHandle] = {}
        #: runs claimed ahead that wait in the worker: a heap of (start at, epoch s; run id), and runs
        self._waiting: list[tuple[float, str]] = []
        self.waiting: dict[str, RunSpec] = {}
        #: prepared processes (in `running`) waiting to be released: a heap of (start at, run id)
        self._prepared: list[tuple[float, str]] = []
        self._logs: list[dict[str, Any]] = []
        self._logs_lock = threading.Lock()
        self._last_error: dict[str, str] = {}  # run id → its last stderr line
        self._last_heartbeat = 0.0
        self._stop = threading.Event()

    # -- output → logs -------------------------------------------------------------------------
    def _on_line(self, run_id: str, level: int, line: str) -> None:
        if level >= 40 and line.strip():
            self._last_error[run_id] = line.strip()
        with self._logs_lock:
            self._logs.append(
                {
                    "flow_run_id": run_id,
                    "level": level,
                    "message": clip_log_message(line),
                    "name": "stdout" if level < 40 else "stderr",
                    "timestamp": utcnow(),
                }
            )

    def _flush_logs(self) -> None:
        with self._logs_lock:
            batch, self._logs = self._logs, []
        if batch:
            try:
                self.client.create_logs(batch)
            except Exception:
                log.exception("could not write %d log lines", len(batch))

    # -- the loop ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """One iteration; returns the number of runs started."""
        started = self._start_due()
        self._reap()
        if time.monotonic() - self._last_heartbeat >= self.heartbeat_interval:
            self._heartbeat()
        started += self._start_due()
        held = len(self.running) + len(self.waiting)
        capacity = self.claim_batch if self.limit is None else self.limit - held
        if capacity > 0:
            horizon = utcnow() + timedelta(seconds=self.claim_ahead) if self.claim_ahead else None
            for run in self.client.get_scheduled_flow_runs(
                self.pool,
                self.name,
                min(capacity, self.claim_batch),
                self.deployment_ids,
                self.queues,
                scheduled_before=horizon,
            ):
                self._accept(RunSpec.from_claim(run))
                started += 1
                if self._prepared and self._prepared[0][0] <= time.time():
                    started += self._start_due()  # a long claim does not delay runs now due
        started += self._start_due()
        self._flush_logs()
        return started

    def next_start_in(self) -> float | None:
        """Seconds until the next run waiting in the worker is due (None: none waits)."""
        heads = [heap[0][0] for heap in (self._waiting, self._prepared) if heap]
        return min(heads) - time.time() if heads else None

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
        self._release_prepared()
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
    def _accept(self, spec: RunSpec) -> None:
        """A claimed run: start it now, prestart it (its process waits), or hold it until due."""
        start_at = spec.start_at
        if start_at is None or start_at <= time.time():
            self._start(spec)
        elif self.executor.can_prestart(spec):
            if self._start(spec, release=True):
                heapq.heappush(self._prepared, (start_at, spec.flow_run_id))
        else:
            self.waiting[spec.flow_run_id] = spec
            heapq.heappush(self._waiting, (start_at, spec.flow_run_id))

    def _start_due(self) -> int:
        started = self._release_due()
        while self._waiting and self._waiting[0][0] <= time.time():
            _, run_id = heapq.heappop(self._waiting)
            spec = self.waiting.pop(run_id, None)
            if spec is not None:  # else cancelled while waiting
                self._start(spec.with_(start_at=None))
                started += 1
        return started

    def _release_due(self) -> int:
        """Start the prepared runs now due: RUNNING for all in one bulk transition (per
        `start_batch`), then release each process with its own answer."""
        due_by = time.time()
        due = self._pop_due(due_by)
        for i in range(0, len(due), self.start_batch):
            self._start_chunk(due[i : i + self.start_batch])
        # every answer is written while the processes wait behind their start time's gate: now
        # they all go at once, instead of each write waking one that then delays the next write
        self.executor.open_gates(until=due_by)
        return len(due)

    def _pop_due(self, due_by: float) -> list[RunHandle]:
        """The prepared processes due by `due_by` that are still to start."""
        due: list[RunHandle] = []
        while self._prepared and self._prepared[0][0] <= due_by:
            _, run_id = heapq.heappop(self._prepared)
            handle = self.running.get(run_id)
            if handle is not None and not handle.cancel_requested and not handle.handed_back:
                due.append(handle)  # else killed (cancelled) or handed back meanwhile
        return due

    def _start_chunk(self, chunk: list[RunHandle]) -> None:
        """RUNNING for every run of `chunk` in one transition, then each process's answer."""
        now = utcnow()  # the start time of all of them: now, as the transition is proposed
        try:
            answers: dict[str, dict[str, Any]] = self.client.set_flow_run_states(
                [(handle.run_id, Running(timestamp=now)) for handle in chunk]
            )
        except Exception:
            log.exception("could not start %d runs at once: each proposes RUNNING itself", len(chunk))
            for handle in chunk:
                handle.release({"run": True})
            return
        for handle in chunk:
            answer = answers.get(handle.run_id) or {}
            state = answer.get("state") or {}
            if answer.get("status") == "ACCEPT" and state.get("type") == "RUNNING":
                handle.started_by_worker = True
                handle.release({"started": state})
            else:  # cancelled meanwhile (`_finish` reports it), handed back by a pause, deleted
                handle.release({"abort": answer.get("reason") or "not started"})

    def _release_prepared(self) -> None:
        """Shutting down: hand prepared runs not started yet back to their schedule; their
        processes exit."""
        for start_at, run_id in self._prepared:
            handle = self.running.get(run_id)
            if handle is None or handle.handed_back:
                continue
            when = datetime.fromtimestamp(start_at, timezone.utc)
            try:
                self.client.set_flow_run_state(run_id, Scheduled(scheduled_time=when))
            except Exception:
                log.exception("could not hand back run %s", run_id)
            handle.release({"abort": "worker shutting down: handed back"})
        self._prepared.clear()
        self.executor.open_gates()

    def _release_waiting(self) -> None:
        """Shutting down: hand runs claimed ahead and not started back to their schedule."""
        for run_id, spec in list(self.waiting.items()):
            when = datetime.fromtimestamp(spec.start_at or time.time(), timezone.utc)
            try:
                self.client.set_flow_run_state(run_id, Scheduled(scheduled_time=when))
            except Exception:
                log.exception("could not hand back run %s", run_id)
        self.waiting.clear()
        self._waiting.clear()

    def _start(self, spec: RunSpec, release: bool = False) -> bool:
        run_id = spec.flow_run_id
        try:
            self.running[run_id] = self.executor.start(spec, release=release)
        except Exception as exc:
            log.exception("could not start run %s", run_id)
            self.client.set_flow_run_state(run_id, Crashed(message=f"worker could not start it: {exc}"))
            return False
        return True

    def _heartbeat(self) -> None:
        self._last_heartbeat = time.monotonic()
        states = self.client.worker_heartbeat(self.pool, self.name, [*self.running, *self.waiting])
        self._drop_unclaimed(states)
        for run_id, state_type in states.items():
            handle = self.running.get(run_id)
            if handle is None or handle.cancel_requested:
                continue
            if state_type == "CANCELLING" or state_type in FINAL:
                log.info("run %s is %s: killing its process group", run_id, state_type)
                # ended (or lost to another worker): nothing to report, the run is not ours now
                handle.handed_back = state_type in FINAL
                handle.kill()

    def _drop_unclaimed(self, states: dict[str, str]) -> None:
        """Runs claimed ahead and not started that are no longer this worker's claim (PENDING):
        handed back (their pool or deployment was paused: SCHEDULED, or deleted), cancelled or
        ended. Waiting ones are forgotten, prepared processes are told to exit."""
        for run_id in list(self.waiting):
            state_type = states.get(run_id)
            if state_type == "PENDING":
                continue
            del self.waiting[run_id]  # its heap entry is skipped when due
            if state_type == "CANCELLING":
                self.client.set_flow_run_state(run_id, Cancelled(message="cancelled before it started"))
            else:
                log.info("run %s claimed ahead is %s: not starting it", run_id, state_type or "gone")
        for _, run_id in self._prepared:
            handle = self.running.get(run_id)
            state_type = states.get(run_id)
            if handle is None or handle.handed_back or state_type in ("PENDING", "CANCELLING", *FINAL):
                continue  # still ours, or killed below as a cancelled run is
            log.info("run %s claimed ahead is %s: not starting it", run_id, state_type or "gone")
            handle.handed_back = True
            handle.release({"abort": f"no longer claimed ({state_type or 'deleted'})"})

    def _reap(self) -> None:
        ended: list[tuple[str, Any]] = []  # plain runs this worker started, ended: states to report
        for run_id, handle in list(self.running.items()):
            code = handle.poll()
            if code is None:
                continue
            del self.running[run_id]
            handle.join_output()
            error = self._last_error.pop(run_id, None)
            if getattr(handle, "handed_back", False):
                continue  # never started: nothing to report
            if handle.started_by_worker and code == EXIT_COMPLETED:
                ended.append((run_id, Completed()))
            elif handle.started_by_worker and code == EXIT_FAILED:
                ended.append((run_id, Failed(message=error or "the flow function raised")))
            else:
                self._finish(handle, code)
        if ended:  # one transaction for all (the rules still judge each: retries, cancellation)
            try:
                self.client.set_flow_run_states(ended)
            except Exception:
                log.exception("could not report %d ended runs at once: one by one", len(ended))
                for run_id, state in ended:
                    try:
                        self.client.set_flow_run_state(run_id, state)
                    except Exception:
                        log.exception("could not report run %s as %s", run_id, state.type.value)

    def _finish(self, handle: RunHandle, code: int) -> None:
        try:
            run = self.client.read_flow_run(handle.run_id)
        except NotFound:  # deleted before it started: its deployment paused
            log.info("run %s is gone: nothing to report", handle.run_id)
            return
        except Exception:
            log.exception("could not read run %s", handle.run_id)
            return
        if run["state_type"] in FINAL:
            return
        if handle.cancel_requested or run["state_type"] == "CANCELLING":
            self.client.set_flow_run_state(
                handle.run_id, Cancelled(message="cancelled: process killed by worker")
            )
        elif run["state_type"] in ("PENDING", "RUNNING"):
            why = (
                f"process exited with code {code}"
                if code
                else "process exited without reporting a final state"
            )
            self.client.set_flow_run_state(handle.run_id, Crashed(message=why))
