"""Proposes CRASHED for runs whose heartbeat stopped (a worker or its machine died).

The CrashedRunsRetry rule turns the crash into an AwaitingRetry when the flow has retries left.
Each pass also frees concurrency slots held by task runs of flow runs that ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jupyter_orch.db.models import utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import concurrency
from jupyter_orch.orchestration.store.flow_runs import oldest_heartbeat, set_flow_run_state, stale_runs
from jupyter_orch.services.base import Service
from jupyter_orch.states import Cancelled, Crashed


class CrashDetectionService(Service):
    """Marks Crashed (then retried, if the flow has retries left) each run a worker holds whose
    heartbeat is older than `heartbeat_timeout`. Between passes it sleeps until the oldest
    heartbeat it saw would expire (at most `interval`), so a lost run is marked within about the
    timeout of its last heartbeat, not a pass later."""

    name = "crash_detection"

    def __init__(
        self, db_url: str | None = None, interval: float = 5.0, heartbeat_timeout: float = 30.0
    ) -> None:
        super().__init__(interval)
        self.db_url = db_url
        self.heartbeat_timeout = heartbeat_timeout
        self._next_due: datetime | None = None

    def run_once(self) -> int:
        cutoff = utcnow() - timedelta(seconds=self.heartbeat_timeout)
        with session_scope(self.db_url) as session:
            stale = [(r.id, r.state_type, r.worker_name) for r in stale_runs(session, cutoff)]
        crashed = 0
        for run_id, state_type, worker in stale:
            lost = f"no heartbeat from worker {worker!r}" if worker else "no heartbeat"
            with session_scope(self.db_url) as session:
                if state_type == "CANCELLING":  # nobody is left to finish the cancellation
                    set_flow_run_state(session, run_id, Cancelled(message=f"{lost} while cancelling"))
                else:
                    message = f"{lost} for {self.heartbeat_timeout:g}s: its worker or host was lost"
                    set_flow_run_state(session, run_id, Crashed(message=message))
                crashed += 1
        with session_scope(self.db_url) as session:
            concurrency.sweep_slots(session)
            oldest = oldest_heartbeat(session)
        self._next_due = oldest + timedelta(seconds=self.heartbeat_timeout) if oldest else None
        return crashed

    def wait_after(self, elapsed: float) -> float:
        wait = self.interval - elapsed
        if self._next_due is not None:  # just after the oldest live heartbeat expires
            wait = min(wait, (self._next_due - utcnow()).total_seconds() + 0.05)
        return max(0.05, wait)
