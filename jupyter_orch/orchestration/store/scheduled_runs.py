"""Writing a scheduler pass's runs fast: raw executemany of prebuilt tuples, no ORM.

A pass over 10,000 deployments makes tens of thousands of runs. Per run, only the id, name, time
and idempotency key change; everything taken from the deployment (parameters, tags, policies as
JSON text) is converted once per deployment, and everything taken from the time (timestamps, the
state's data) once per time, shared by every deployment on the same schedule.

Values are stored exactly as SQLAlchemy stores them (SQLite: naive-UTC timestamp text with
microseconds and JSON text; PostgreSQL: timestamptz and jsonb), so the ORM reads them back alike.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Boolean, Connection, Float, Integer

from jupyter_orch.db.models import Base, Timestamp
from jupyter_orch.orchestration.sqlwrite import generate_run_name

UTC = timezone.utc
NAMESPACE = uuid.UUID("6f1c1d2e-8a35-4c1e-9a3b-0c7e5d4b2a10")
_NS = NAMESPACE.bytes

#: deployment fields a run copies; the JSON ones arrive as text (cast in the query)
DEPLOYMENT_FIELDS = (
    "id",
    "flow_id",
    "flow_name",
    "name",
    "parameters",
    "tags",
    "empirical_policy",
    "work_pool_name",
    "work_queue_name",
    "job_variables",
)
JSON_FIELDS = frozenset({"parameters", "tags", "empirical_policy", "job_variables"})

RUN_COLUMNS = (
    "id",
    "name",
    "flow_id",
    "flow_name",
    "deployment_id",
    "deployment_name",
    "parameters",
    "tags",
    "empirical_policy",
    "job_variables",
    "work_pool_name",
    "work_queue_name",
    "idempotency_key",
    "auto_scheduled",
    "schedule_id",
    "expected_start_time",
    "next_scheduled_start_time",
    "state_id",
    "state_type",
    "state_name",
    "state_timestamp",
    "state_data",
    "run_count",
    "total_run_time",
    "created",
    "updated",
)
_RUN_JSON = {"parameters", "tags", "empirical_policy", "job_variables", "state_data"}
STATE_COLUMNS = ("id", "flow_run_id", "type", "name", "timestamp", "data")
ROWS_PER_STATEMENT = 500  # 26 columns: 13,000 parameters, under both databases' limits


def uuid5(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))` without building UUID objects (a pass makes 60,000)."""
    b = bytearray(hashlib.sha1(_NS + name.encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def run_id_for(deployment_id: str, schedule_id: str, when: datetime) -> str:
    return uuid5(f"{deployment_id}|{schedule_id}|{when.isoformat()}")


def idempotency_key(schedule_id: str, when: datetime) -> str:
    return f"scheduled {schedule_id} {when.isoformat()}"


class RunWriter:
    """Inserts scheduled runs and their first state on one connection (SQLite or PostgreSQL)."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.now = self.ts(now)
        self._times: dict[datetime, tuple[str, Any, str]] = {}
        self._sql: dict[tuple[str, int], str] = {}

    def ts(self, value: datetime) -> Any:
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        if self.pg:
            return value
        text = value.replace(tzinfo=None).isoformat(" ")
        return text if len(text) == 26 else text + ".000000"

    def _time(self, when: datetime) -> tuple[str, Any, str]:
        """(iso text, stored timestamp, state data JSON) of a time, once per time per pass."""
        out = self._times.get(when)
        if out is None:
            iso = when.isoformat()
            out = (iso, self.ts(when), json.dumps({"result": None, "scheduled_time": iso}))
            self._times[when] = out
        return out

    def rows(
        self, dep: dict[str, Any], schedule_id: str, times: Sequence[datetime]
    ) -> tuple[list[tuple], list[tuple]]:
        """Run and state tuples for one schedule of one deployment."""
        runs, states = [], []
        dep_id, now = dep["id"], self.now
        head = (dep["flow_id"], dep["flow_name"], dep_id, dep["name"])
        body = (
            dep["parameters"] or "{}",
            dep["tags"] or "[]",
            dep["empirical_policy"] or "{}",
            dep["job_variables"] or "{}",
            dep["work_pool_name"],
            dep["work_queue_name"],
        )
        for when in times:
            iso, stored, data = self._time(when)
            run_id = uuid5(f"{dep_id}|{schedule_id}|{iso}")
            state_id = uuid5(run_id)
            runs.append(
                (run_id, generate_run_name(run_id), *head, *body, f"scheduled {schedule_id} {iso}", True)
                + (schedule_id, stored, stored, state_id, "SCHEDULED", "Scheduled", now, data)
                + (0, 0.0, now, now)
            )
            states.append((state_id, run_id, "SCHEDULED", "Scheduled", now, data))
        return runs, states

    def write(self, runs: list[tuple], states: list[tuple], until: list[tuple[datetime, str]]) -> int:
        """Insert-or-ignore the runs and states, move the schedules' windows; runs inserted."""
        if not self.pg:  # index pages stay in memory across a big chunk (per connection, 64 MB max)
            self.conn.exec_driver_sql("PRAGMA cache_size=-65536")
        runs.sort()  # id order: appends to the primary-key index instead of random inserts
        states.sort(key=lambda r: r[1])
        inserted = self._insert("flow_runs", RUN_COLUMNS, _RUN_JSON, runs)
        self._insert("flow_run_states", STATE_COLUMNS, {"data"}, states)
        if self.pg and until:
            sql = (
                "UPDATE deployment_schedules SET scheduled_until = v.until_ FROM unnest(%s::text[], "
                "%s::timestamptz[]) AS v(sid, until_) WHERE deployment_schedules.id = v.sid"
            )
            self.conn.exec_driver_sql(sql, ([sid for _, sid in until], [self.ts(t) for t, _ in until]))
        elif until:
            for i in range(0, len(until), ROWS_PER_STATEMENT):
                part = until[i : i + ROWS_PER_STATEMENT]
                params = tuple(v for t, sid in part for v in (sid, self.ts(t)))
                self.conn.exec_driver_sql(_sqlite_update_sql(len(part)), params)
        return inserted

    def _insert(self, table: str, columns: Sequence[str], json_cols: set[str], rows: list[tuple]) -> int:
        """INSERT … ON CONFLICT DO NOTHING: PostgreSQL takes one array per column (unnest), SQLite
        multi-row VALUES of 500 rows; either way a handful of statements per chunk."""
        if not rows:
            return 0
        if self.pg:
            sql = self._sql.get((table, 0))
            if sql is None:
                types = _pg_types(table, columns)
                arrays = ", ".join(f"%s::{'text' if c in json_cols else types[c]}[]" for c in columns)
                picks = ", ".join(f"{c}::jsonb" if c in json_cols else c for c in columns)
                sql = self._sql[(table, 0)] = (
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picks} "
                    f"FROM unnest({arrays}) AS u({', '.join(columns)}) ON CONFLICT DO NOTHING"
                )
            arrays_ = tuple(list(col) for col in zip(*rows, strict=True))
            return max(0, self.conn.exec_driver_sql(sql, arrays_).rowcount)
        inserted = 0
        for i in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[i : i + ROWS_PER_STATEMENT]
            sql = self._sql.get((table, len(part)))
            if sql is None:
                one = "(" + ", ".join("?" for _ in columns) + ")"
                sql = self._sql[(table, len(part))] = (
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    + ", ".join([one] * len(part))
                    + " ON CONFLICT DO NOTHING"
                )
            params = tuple(v for row in part for v in row)
            inserted += max(0, self.conn.exec_driver_sql(sql, params).rowcount)
        return inserted


def _sqlite_update_sql(n: int) -> str:
    """WITH v AS (VALUES (id, until), …) UPDATE … FROM v: one statement moves many windows."""
    return (
        f"WITH v(sid, until_) AS (VALUES {', '.join(['(?, ?)'] * n)}) UPDATE deployment_schedules "
        "SET scheduled_until = v.until_ FROM v WHERE deployment_schedules.id = v.sid"
    )


def _pg_types(table: str, columns: Sequence[str]) -> dict[str, str]:
    """The PostgreSQL array element type of each column."""
    cols = Base.metadata.tables[table].c
    kinds = ((Timestamp, "timestamptz"), (Boolean, "boolean"), (Integer, "integer"), (Float, "float8"))
    return {c: next((n for k, n in kinds if isinstance(cols[c].type, k)), "text") for c in columns}
