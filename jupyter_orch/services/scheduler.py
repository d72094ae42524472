"""The scheduler service: keeps each active schedule's window of future runs filled.

Only the holder of the "scheduler" lease schedules, so with several servers on one database
exactly one does the work; the others take over when it stops renewing. The idempotent inserts
make even an overlap (a paused holder waking up after its lease expired) harmless.

A pass stays off the database while many runs are due within seconds of now (a thousand cron
schedules firing on the same minute): writing the window's newest runs an hour ahead can wait a
few seconds, while the workers starting the due runs need the write lock and the CPU now.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from jupyter_orch.db.models import FlowRun, utcnow
from jupyter_orch.db.session import read_scope, session_scope
from jupyter_orch.orchestration.store import leases
from jupyter_orch.orchestration.store.schedules import Window, chunks, plan_pass, write_runs
from jupyter_orch.services.base import Service

LEASE_NAME = "scheduler"


class SchedulerService(Service):
    name = "scheduler"

    #: a pass waits while at least `busy_runs` runs are due within `quiet_seconds` of now, for at
    #: most `max_defer` seconds in a row (the window reaches an hour ahead: a pause never matters)
    busy_runs = 100
    quiet_seconds = 3.0
    max_defer = 30.0

    def __init__(
        self,
        db_url: str | None = None,
        interval: float = 5.0,
        lease_ttl: float | None = None,
        window: Window | None = None,
        holder: str | None = None,
    ) -> None:
        super().__init__(interval)
        self.deferred = 0
        self._deferring_since: float | None = None
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
        if self._defer(now):
            return 0
        with session_scope(self.db_url) as session:
            plan = plan_pass(session, now, self.window)
        created = 0
        for part in chunks(plan):  # a transaction per chunk: workers are not blocked for long
            with session_scope(self.db_url) as session:
                created += write_runs(session, now, part)
        self.runs_created += created
        return created

    def _defer(self, now: datetime) -> bool:
        """True when this pass should wait: many runs due right now (see the module's doc)."""
        if self._deferring_since is not None and time.monotonic() - self._deferring_since >= self.max_defer:
            self._deferring_since = None
            return False
        quiet = timedelta(seconds=self.quiet_seconds)
        with read_scope(self.db_url) as session:  # no write lock: the workers need it now
            due = session.scalars(
                select(FlowRun.id)
                .where(FlowRun.expected_start_time >= now - quiet)
                .where(FlowRun.expected_start_time <= now + quiet)
                .limit(self.busy_runs)
            ).all()
        if len(due) < self.busy_runs:
            self._deferring_since = None
            return False
        if self._deferring_since is None:
            self._deferring_since = time.monotonic()
        self.deferred += 1
        return True

    def on_stop(self) -> None:
        if self.is_leader:
            with session_scope(self.db_url) as session:
                leases.release_lease(session, LEASE_NAME, self.holder)
            self.is_leader = False

    def status(self) -> dict[str, object]:
        return {
            **super().status(),
            "leader": self.is_leader,
            "runs_created": self.runs_created,
            "passes_deferred": self.deferred,
        }
