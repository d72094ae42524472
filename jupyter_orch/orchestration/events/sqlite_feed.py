"""The SQLite feed: one read connection that watches the file's change counter.

`PRAGMA data_version` changes when any other connection (any process) commits, and costs a few
microseconds to ask, so the feed asks every `interval` seconds and reads only when it moved. New rows
are found by rowid: SQLite has one writer at a time and gives each insert the next rowid, so rowid
order is commit order and `rowid > last` misses nothing. Nothing is read while nobody listens; a
new first subscriber starts from what is committed when the feed arms it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from jupyter_orch.orchestration.events.base import Feed, RunIds, iso
from jupyter_orch.orchestration.events.hub import Event, EventHub

BATCH = 2000

#: event kind → SQL reading the rows past its cursor (the first column is the cursor)
QUERIES: dict[str, str] = {
    "flow_run": (
        "SELECT s.rowid, s.flow_run_id, s.type, s.name, s.message, s.timestamp, r.flow_id, "
        "r.deployment_id, r.name FROM flow_run_states s LEFT JOIN flow_runs r ON r.id = s.flow_run_id "
        "WHERE s.rowid > ? ORDER BY s.rowid LIMIT ?"
    ),
    "task_run": (
        "SELECT s.rowid, s.task_run_id, s.type, s.name, s.message, s.timestamp, t.flow_run_id, t.name "
        "FROM task_run_states s LEFT JOIN task_runs t ON t.id = s.task_run_id "
        "WHERE s.rowid > ? ORDER BY s.rowid LIMIT ?"
    ),
    "log": (
        "SELECT id, flow_run_id, task_run_id, name, level, message, timestamp FROM logs "
        "WHERE id > ? ORDER BY id LIMIT ?"
    ),
    "artifact": (
        "SELECT rowid, id, key, type, description, flow_run_id, task_run_id, created FROM artifacts "
        "WHERE rowid > ? ORDER BY rowid LIMIT ?"
    ),
}
TABLES = {
    "flow_run": "flow_run_states",
    "task_run": "task_run_states",
    "log": "logs",
    "artifact": "artifacts",
}


def _flow_run(row: tuple) -> Event:
    _, run_id, type_, name, message, ts, flow_id, deployment_id, run_name = row
    return {
        "kind": "flow_run", "id": run_id, "flow_run_id": run_id, "name": run_name, "flow_id": flow_id,
        "deployment_id": deployment_id, "state_type": type_, "state_name": name, "message": message,
        "timestamp": iso(ts),
    }  # fmt: skip


def _task_run(row: tuple) -> Event:
    _, task_run_id, type_, name, message, ts, flow_run_id, run_name = row
    return {
        "kind": "task_run", "id": task_run_id, "task_run_id": task_run_id, "flow_run_id": flow_run_id,
        "name": run_name, "state_type": type_, "state_name": name, "message": message, "timestamp": iso(ts),
    }  # fmt: skip


def _log(row: tuple) -> Event:
    log_id, flow_run_id, task_run_id, name, level, message, ts = row
    return {
        "kind": "log", "id": log_id, "flow_run_id": flow_run_id, "task_run_id": task_run_id, "name": name,
        "level": level, "message": message, "timestamp": iso(ts),
    }  # fmt: skip


def _artifact(row: tuple) -> Event:
    _, art_id, key, type_, description, flow_run_id, task_run_id, created = row
    return {
        "kind": "artifact", "id": art_id, "key": key, "type": type_, "description": description,
        "flow_run_id": flow_run_id, "task_run_id": task_run_id, "timestamp": iso(created),
    }  # fmt: skip


CONVERT = {"flow_run": _flow_run, "task_run": _task_run, "log": _log, "artifact": _artifact}


class SQLiteFeed(Feed):
    name = "sqlite"

    def __init__(self, path: str, hub: EventHub, interval: float) -> None:
        super().__init__(hub, interval)
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._cursors: dict[str, int] | None = None
        self._version: int | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
        return conn

    def run(self) -> None:
        self._conn = conn = self._connect()
        while not self._stop.wait(self.interval):
            if not self.hub.active:
                self._cursors = None  # nobody listens: read nothing; start afresh for the next one
                continue
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if self._cursors is None:
                self._cursors = self._heads(conn)
            elif version != self._version:
                self.emit(self._read(conn))
            self._version = version
            # any commit after the version read above moves it again: the next poll reads it
            self.hub.arm_pending()

    def _heads(self, conn: sqlite3.Connection) -> dict[str, int]:
        key = {"log": "id"}
        return {
            kind: conn.execute(f"SELECT coalesce(max({key.get(kind, 'rowid')}), 0) FROM {table}").fetchone()[
                0
            ]
            for kind, table in TABLES.items()
        }

    def _read(self, conn: sqlite3.Connection) -> list[Event]:
        """Every row committed past the cursors, in one read transaction (one snapshot)."""
        assert self._cursors is not None
        events: list[Event] = []
        conn.execute("BEGIN")
        try:
            for kind, sql in QUERIES.items():
                convert = CONVERT[kind]
                while True:
                    rows = conn.execute(sql, (self._cursors[kind], BATCH)).fetchall()
                    if not rows:
                        break
                    self._cursors[kind] = rows[-1][0]
                    events.extend(convert(r) for r in rows)
                    if len(rows) < BATCH:
                        break
        finally:
            conn.execute("COMMIT")
        for e in events:
            if e["kind"] == "flow_run":
                self.remember(e["flow_run_id"], (e["flow_id"], e["deployment_id"]))
        return events

    def lookup_runs(self, run_ids: Iterable[str]) -> dict[str, RunIds]:
        assert self._conn is not None
        ids = list(run_ids)
        out: dict[str, RunIds] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, flow_id, deployment_id FROM flow_runs WHERE id IN ({marks})"
            for run_id, flow_id, deployment_id in self._conn.execute(sql, chunk):
                out[run_id] = (flow_id, deployment_id)
        return out

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self._cursors = None
        if conn is not None:
            conn.close()

    def status(self) -> dict[str, Any]:
        return {**super().status(), "listening": self.hub.active}
