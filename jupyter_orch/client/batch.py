"""The batch writer: what the engine records per task goes to the API in batches.

Flow-run creation and flow-run state changes are synchronous calls of the client (the rules may
say no, or WAIT, and the engine must hear it). Task runs, their states, edges, logs and artifacts
are buffered here and written in batches (`POST /task_runs/batch`) by a background thread, off
the engine's hot path; `flush()` blocks until everything buffered so far is written (the engine
calls it before a flow returns).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from jupyter_orch.settings import DEFAULT_WRITER_MAX_PENDING

BATCH_KINDS = ("task_runs", "task_run_states", "edges", "logs", "artifacts")
_COMPLETED = "COMPLETED"


class BatchWriter:
    """Collects records and hands them to `write(batch)` from one background thread.

    Task-run snapshots of the same id are coalesced (the newest wins) so a task that goes
    Pending → Running → Completed between two flushes costs one row write.

    Reads must not miss what is still here: a completed snapshot with a cache key stays in
    `_cached` (queued or being written) until its batch is committed, so a cache lookup in the
    same process sees it (`pending_cached`); `holds_task_run` tells a reader to flush first.
    """

    def __init__(
        self,
        write: Callable[[dict[str, list[dict[str, Any]]]], None],
        interval: float = 0.2,
        max_items: int = 2000,
        max_pending: int = DEFAULT_WRITER_MAX_PENDING,
    ) -> None:
        self._write = write
        self._interval = interval
        self._max_items = max_items
        self._max_pending = max(max_pending, max_items)
        self._blocked = 0  # producers waiting for room (see `add_task_run`)
        # a plain lock (cheaper than an RLock); producers take it directly (a C-level `with`)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # the writer thread and flushers wait here
        # producers held by `max_pending` wait apart: the writer's wake-ups, which every record past
        # `max_items` sends, never wake them (64 threads re-checking per record: ~35,000 futile
        # wake-ups in a 100,000-task map); they wake when a batch is taken, an error or close
        self._room = threading.Condition(self._lock)
        self._task_runs: dict[str, dict[str, Any]] = {}
        #: cache key -> (queue sequence, completed snapshot) until that snapshot is written
        self._cached: dict[str, tuple[int, dict[str, Any]]] = {}
        #: task-run ids in the batch being written (queued ones are in `_task_runs`)
        self._in_flight: set[str] = set()
        self._lists: dict[str, list[dict[str, Any]]] = {k: [] for k in BATCH_KINDS if k != "task_runs"}
        self._pending = 0
        self._written_seq = 0
        self._queued_seq = 0
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- producer side (engine threads) ---------------------------------------------------------
    def add_task_run(self, row: dict[str, Any], state_row: dict[str, Any] | None = None) -> None:
        """A task-run snapshot, and optionally the state row it entered (one lock for both)."""
        with self._lock:
            self._task_runs[row["id"]] = row
            if state_row is not None:
                self._lists["task_run_states"].append(state_row)
                self._pending += 1
                self._queued_seq += 1
            self._pending += 1
            self._queued_seq += 1
            if row["cache_key"] is not None and row["state_type"] == _COMPLETED:
                self._cached[row["cache_key"]] = (self._queued_seq, row)
            if self._thread is None or self._closed or self._pending >= self._max_items:
                self._start_or_wake()
                if self._pending >= self._max_pending:
                    self._wait_for_room()

    def _wait_for_room(self) -> None:
        """Hold a producer (the lock held) while `max_pending` records wait for the writer, so a
        flow that makes runs faster than they are written (100,000 mapped tasks) keeps a bounded
        queue instead of every record in memory. Never the writer's own thread, and not while
        writes fail (the records are kept and the error reaches the next `flush`)."""
        if self._error is not None or threading.current_thread() is self._thread:
            return
        self._blocked += 1
        try:
            while self._pending >= self._max_pending and self._error is None and not self._closed:
                self._room.wait(1.0)
        finally:
            self._blocked -= 1

    def pending_cached(self, cache_key: str, now: Any) -> dict[str, Any] | None:
        """The completed task-run snapshot with `cache_key` not yet committed (and not expired)."""
        if not self._cached:
            return None
        with self._lock:
            entry = self._cached.get(cache_key)
        if entry is None:
            return None
        row = entry[1]
        expires = row.get("cache_expiration")
        if expires is not None and expires <= now:
            return None
        return row

    def holds_task_run(self, task_run_id: str) -> bool:
        """Whether a snapshot of this task run is queued or being written (not yet readable)."""
        with self._lock:
            return task_run_id in self._task_runs or task_run_id in self._in_flight

    def add(self, kind: str, row: dict[str, Any]) -> None:
        with self._lock:
            self._lists[kind].append(row)
            self._bump()

    def _bump(self) -> None:
        self._pending += 1
        self._queued_seq += 1
        self._start_or_wake()

    def _start_or_wake(self) -> None:
        if self._thread is None or self._closed:
            self._thread = threading.Thread(target=self._run, name="jupyter-orch-writer", daemon=True)
            self._thread.start()
        if self._pending >= self._max_items:
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> None:
        """Block until every record queued before this call is written; re-raise a write error."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._queued_seq
            self._cond.notify_all()
            while self._written_seq < target:
                if self._error is not None:
                    err, self._error = self._error, None
                    raise err
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("timed out flushing run records")
                self._cond.wait(remaining if remaining is not None else 1.0)
            if self._error is not None:
                err, self._error = self._error, None
                raise err

    def close(self) -> None:
        try:
            self.flush(timeout=30)
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()
                self._room.notify_all()

    # -- consumer side (the writer thread) ------------------------------------------------------
    def _take(self) -> tuple[dict[str, list[dict[str, Any]]], int]:
        batch: dict[str, list[dict[str, Any]]] = {"task_runs": list(self._task_runs.values())}
        self._in_flight = set(self._task_runs)
        self._task_runs = {}
        for kind, rows in self._lists.items():
            batch[kind] = rows
            self._lists[kind] = []
        self._pending = 0
        if self._blocked:
            self._room.notify_all()
        return batch, self._queued_seq

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._pending == 0 and not self._closed:
                    self._cond.wait(self._interval)
                if self._pending == 0:
                    if self._closed:
                        return
                    continue
                batch, seq = self._take()
            try:
                self._write(batch)
            except BaseException as exc:  # surfaced to the next flush(); the records are kept
                with self._cond:
                    self._error = exc
                    self._in_flight = set()
                    self._requeue(batch)
                    self._cond.notify_all()
                    self._room.notify_all()
                time.sleep(self._interval)
                continue
            with self._cond:
                self._written_seq = max(self._written_seq, seq)
                self._in_flight = set()
                if self._cached:
                    self._cached = {k: v for k, v in self._cached.items() if v[0] > seq}
                self._cond.notify_all()

    def _requeue(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        for row in batch["task_runs"]:
            self._task_runs.setdefault(row["id"], row)
        for kind in self._lists:
            self._lists[kind][:0] = batch[kind]
        self._pending += sum(len(v) for v in batch.values())
