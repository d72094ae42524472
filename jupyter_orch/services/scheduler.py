"""The scheduler service: keeps each active schedule's window of future runs filled.

Only the holder of the "scheduler" lease schedules, so with several servers on one database
exactly one does the work; the others take over when it stops renewing. The idempotent inserts
make even an overlap (a paused holder waking up after its lease expired) harmless.
"""

from __future__ import annotations

import os
import socket
import uuid

from jupyter_orch.db.models import utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import leases
from jupyter_orch.orchestration.store.schedules import Window, chunks, plan_pass, write_runs
from jupyter_orch.services.base import Service

LEASE_NAME = "scheduler"


class SchedulerService(Service):
    name = "scheduler"

    def __init__(
        self,
        db_url: str | None = None,
        interval: float = 5.0,
        lease_ttl: float | None = None,
        window: Window | None = None,
        holder: str | None = None,
    ) -> None:
        super().__init__(interval)
        self.db_url = db_url
        self.lease_ttl = lease_ttl if lease_ttl is not None else max(3 * interval, 2.0)
        self.window = window or Window()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.is_leader = False
        self.runs_created = 0

    def run_once(self) -> int:
        with session_scope(self.db_url) as session:
            self.is_leader = leases.acquire_lease(session, LEASE_NAME, self.holder, self.lease_ttl)
        if not self.is_leader:
            return 0
        now = utcnow()
        with session_scope(self.db_url) as session:
            plan = plan_pass(session, now, self.window)
        created = 0
        for part in chunks(plan):  # a transaction per chunk: workers are not blocked for long
            with session_scope(self.db_url) as session:
                created += write_runs(session, now, part)
        self.runs_created += created
        return created

    def on_stop(self) -> None:
        if self.is_leader:
            with session_scope(self.db_url) as session:
                leases.release_lease(session, LEASE_NAME, self.holder)
            self.is_leader = False

    def status(self) -> dict[str, object]:
        return {**super().status(), "leader": self.is_leader, "runs_created": self.runs_created}
