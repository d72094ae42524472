"""The PostgreSQL feed: `LISTEN orch_events` on one connection.

Triggers on the state-history, log and artifact tables (migration 0009) `pg_notify` a small JSON
payload per row; PostgreSQL delivers notifications only when the writing transaction commits, in
commit order, to every listening server, whichever process wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import psycopg
from sqlalchemy.engine import make_url

from jupyter_orch.orchestration.events.base import Feed, RunIds
from jupyter_orch.orchestration.events.hub import EventHub

CHANNEL = "orch_events"


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg wants it (no `+driver`)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresFeed(Feed):
    name = "postgresql"

    def __init__(self, database_url: str, hub: EventHub, interval: float) -> None:
        super().__init__(hub, interval)
        self.url = libpq_url(database_url)
        self._conn: psycopg.Connection | None = None

    def run(self) -> None:
        self._conn = conn = psycopg.connect(self.url, autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        while not self._stop.is_set():
            self.hub.arm_pending()  # LISTEN is on: every commit from now on is delivered here
            first = list(conn.notifies(timeout=self.interval, stop_after=1))
            if not first:
                continue
            batch = first + list(conn.notifies(timeout=0.001))  # whatever else already arrived
            if self.hub.active:
                events = []
                for note in batch:
                    event = json.loads(note.payload)
                    if event.get("kind") == "flow_run":
                        self.remember(
                            event["flow_run_id"], (event.get("flow_id"), event.get("deployment_id"))
                        )
                    events.append(event)
                self.emit(events)

    def lookup_runs(self, run_ids: Iterable[str]) -> dict[str, RunIds]:
        assert self._conn is not None
        rows = self._conn.execute(
            "SELECT id, flow_id, deployment_id FROM flow_runs WHERE id = ANY(%s)", (list(run_ids),)
        ).fetchall()
        return {run_id: (flow_id, deployment_id) for run_id, flow_id, deployment_id in rows}

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
