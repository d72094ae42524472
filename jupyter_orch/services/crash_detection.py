"""Proposes CRASHED for runs whose heartbeat stopped (a worker or its machine died).

The CrashedRunsRetry rule turns the crash into an AwaitingRetry when the flow has retries left.
Each pass also frees concurrency slots held by task runs of flow runs that ended.
"""

from __future__ import annotations

from datetime import timedelta

from jupyter_orch.db.models import utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import concurrency
from jupyter_orch.orchestration.store.flow_runs import set_flow_run_state, stale_runs
from jupyter_orch.services.base import Service
from jupyter_orch.states import Cancelled, Crashed


class CrashDetectionService(Service):
    name = "crash_detection"

    def __init__(
        self, db_url: str | None = None, interval: float = 5.0, heartbeat_timeout: float = 30.0
    ) -> None:
        super().__init__(interval)
        self.db_url = db_url
        self.heartbeat_timeout = heartbeat_timeout

    def run_once(self) -> int:
        cutoff = utcnow() - timedelta(seconds=self.heartbeat_timeout)
        with session_scope(self.db_url) as session:
            stale = [(r.id, r.state_type) for r in stale_runs(session, cutoff)]
        crashed = 0
        for run_id, state_type in stale:
            seconds = f"{self.heartbeat_timeout:g}"
            with session_scope(self.db_url) as session:
                if state_type == "CANCELLING":  # nobody is left to finish the cancellation
                    set_flow_run_state(session, run_id, Cancelled(message="worker lost while cancelling"))
                else:
                    set_flow_run_state(session, run_id, Crashed(message=f"no heartbeat for {seconds}s"))
                crashed += 1
        with session_scope(self.db_url) as session:
            concurrency.sweep_slots(session)
        return crashed
