"""Marks SCHEDULED runs still waiting `late_after` seconds past their time as "Late", and fails
suspended runs whose pause expired.

The change goes through the orchestration rules (SCHEDULED → SCHEDULED named Late) so it lands in
the run's history and notification policies on "Late" fire.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jupyter_orch.db.models import FlowRun, utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store.flow_run_inputs import expired_suspensions
from jupyter_orch.orchestration.store.flow_runs import set_flow_run_state
from jupyter_orch.services.base import Service
from jupyter_orch.states import Failed, Late


class LateRunsService(Service):
    name = "late_runs"

    def __init__(
        self, db_url: str | None = None, interval: float = 5.0, late_after: float = 15.0, batch: int = 500
    ) -> None:
        super().__init__(interval)
        self.db_url = db_url
        self.late_after = late_after
        self.batch = batch

    def run_once(self) -> int:
        cutoff = utcnow() - timedelta(seconds=self.late_after)
        with session_scope(self.db_url) as session:
            rows = session.execute(
                select(FlowRun.id, FlowRun.next_scheduled_start_time)
                .where(
                    FlowRun.state_type == "SCHEDULED",
                    FlowRun.state_name != "Late",
                    FlowRun.next_scheduled_start_time < cutoff,
                )
                .limit(self.batch)
            ).all()
        marked = 0
        for run_id, when in rows:
            with session_scope(self.db_url) as session:
                decision = set_flow_run_state(session, run_id, Late(when))
                marked += decision.status == "ACCEPT"
        return marked + self.fail_expired_suspensions()

    def fail_expired_suspensions(self) -> int:
        """Suspended runs never resumed within their timeout end Failed (nothing else would)."""
        with session_scope(self.db_url) as session:
            expired = expired_suspensions(session, utcnow(), self.batch)
        for run_id in expired:
            with session_scope(self.db_url) as session:
                set_flow_run_state(
                    session, run_id, Failed(message="Flow run was suspended and never resumed.")
                )
        return len(expired)
