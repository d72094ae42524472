"""Rows as plain SQL over a DB-API connection: the tables' columns, value converters per database
(`Dialect`), and `insert_rows`, the one INSERT path of the write modules beside it."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from jupyter_orch.states import _parse_dt

_UTC = timezone.utc
TS = "ts"
JSON = "json"

# name -> (column, kind) in table order; kind is TS (timestamp), JSON or None (stored as is)
_STATE_COLUMNS = (
    ("state_id", None),
    ("state_type", None),
    ("state_name", None),
    ("state_message", None),
    ("state_timestamp", TS),
    ("state_data", JSON),
    ("start_time", TS),
    ("end_time", TS),
    ("total_run_time", None),
    ("run_count", None),
    ("tags", JSON),
)
#: a run's current-state columns (all but `tags`), as a state change writes them
STATE_COLUMN_NAMES = tuple(name for name, _ in _STATE_COLUMNS if name != "tags")
TABLES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "task_runs": (
        ("created", TS),
        ("updated", TS),
        *_STATE_COLUMNS,
        ("id", None),
        ("name", None),
        ("task_key", None),
        ("task_version", None),
        ("dynamic_key", None),
        ("flow_run_id", None),
        ("cache_key", None),
        ("cache_expiration", TS),
        ("task_inputs", JSON),
        ("empirical_policy", JSON),
    ),
    "task_run_states": (
        ("id", None),
        ("task_run_id", None),
        ("type", None),
        ("name", None),
        ("message", None),
        ("timestamp", TS),
        ("data", JSON),
    ),
    "flow_run_states": (
        ("id", None),
        ("flow_run_id", None),
        ("type", None),
        ("name", None),
        ("message", None),
        ("timestamp", TS),
        ("data", JSON),
    ),
    "task_run_edges": (
        ("flow_run_id", None),
        ("upstream_id", None),
        ("downstream_id", None),
        ("kind", None),
    ),
    "logs": (
        ("flow_run_id", None),
        ("task_run_id", None),
        ("name", None),
        ("level", None),
        ("message", None),
        ("timestamp", TS),
    ),
    "flows": (
        ("id", None),
        ("name", None),
        ("tags", JSON),
        ("parameter_schema", JSON),
        ("created", TS),
        ("updated", TS),
    ),
    # a state hook's queued notification (all columns but `last_error`, NULL until a failure)
    "notification_deliveries": (
        ("id", None),
        ("policy_id", None),
        ("flow_run_id", None),
        ("state_id", None),
        ("channel", None),
        ("subject", None),
        ("body", JSON),
        ("status", None),
        ("attempts", None),
        ("next_attempt_at", TS),
        ("created", TS),
    ),
    # the columns `create_flow_run` writes (the others stay SQL NULL, as the store leaves them)
    "flow_runs": (
        ("id", None),
        ("name", None),
        ("flow_id", None),
        ("flow_name", None),
        ("flow_version", None),
        ("deployment_id", None),
        ("deployment_name", None),
        ("parent_task_run_id", None),
        ("parent_flow_run_id", None),
        ("parameters", JSON),
        ("idempotency_key", None),
        ("empirical_policy", JSON),
        ("work_pool_name", None),
        ("work_queue_name", None),
        ("auto_scheduled", None),
        ("schedule_id", None),
        ("job_variables", JSON),
        ("expected_start_time", TS),
        ("next_scheduled_start_time", TS),
        *_STATE_COLUMNS,
        ("created", TS),
        ("updated", TS),
    ),
}


def _parse(value: str) -> datetime:
    parsed = _parse_dt(value)
    assert parsed is not None
    return parsed


def sqlite_ts(value: Any) -> Any:
    """A timestamp as SQLAlchemy's SQLite DATETIME text in UTC ("YYYY-MM-DD HH:MM:SS.ffffff")."""
    if value is None:
        return None
    if isinstance(value, str):
        value = _parse(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    elif value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 - % is 3x faster here
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def sqlite_json(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is dict and value and _all_empty_lists(value):
        return _no_inputs_json(tuple(value))  # a task run's task_inputs without upstreams
    if not value and type(value) in (dict, list):
        return "{}" if type(value) is dict else "[]"
    return json.dumps(value)


def _all_empty_lists(value: dict[str, Any]) -> bool:
    for k, v in value.items():  # noqa: SIM110 - a loop: no generator per row (all() makes one)
        if v.__class__ is not list or v or k.__class__ is not str:
            return False
    return True


@functools.lru_cache(maxsize=1024)
def _no_inputs_json(names: tuple[str, ...]) -> str:
    """`{"x": [], "y": []}` for these parameter names: the task_inputs of every run of a task
    without upstream runs, a new dict per run (so the batch's memo by identity cannot share it),
    encoded once per task signature instead of once per run."""
    return json.dumps(dict.fromkeys(names, []))


def pg_ts(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = _parse(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=_UTC)


class Dialect:
    """How values travel to one kind of database: placeholder and converters."""

    def __init__(self, name: str) -> None:
        if name not in ("sqlite", "postgresql"):
            raise ValueError(f"no plain-SQL write path for {name}")
        self.name = name
        self.mark = "?" if name == "sqlite" else "%s"
        self.ts: Callable[[Any], Any]
        self.json: Callable[[Any], Any]
        if name == "sqlite":
            self.ts, self.json = sqlite_ts, sqlite_json
        else:
            # optional: psycopg, only on PostgreSQL
            from psycopg.types.json import Jsonb

            self.ts, self.json = pg_ts, Jsonb
        self._sql: dict[Any, str] = {}
        self._rowfns: dict[tuple[str, tuple[str, ...]], Callable[..., tuple]] = {}

    def sql(self, key: Any, build: Callable[[], str]) -> str:
        text = self._sql.get(key)
        if text is None:
            text = self._sql[key] = build().replace("?", self.mark) if self.mark != "?" else build()
        return text

    def row_function(self, table: str, columns: tuple[str, ...]) -> Callable[..., tuple]:
        """`f(row, memo) -> tuple` of converted values in `columns` order; `memo` caches the
        conversion of the same timestamp or JSON object used by several rows or columns."""
        key = (table, columns)
        fn = self._rowfns.get(key)
        if fn is None:
            kinds = dict(TABLES[table])
            parts = []
            for c in columns:
                kind = kinds[c]
                if kind is None:
                    parts.append(f"r[{c!r}]")
                elif kind == TS:
                    parts.append(f"(None if (v := r[{c!r}]) is None else (m.get(id(v)) or _memo(m, v, ts)))")
                else:  # JSON: shared non-empty objects converted once per batch
                    parts.append(
                        f"(json(v) if not (v := r[{c!r}]) or type(v) is str"
                        f" else (m.get(id(v)) or _memo(m, v, json)))"
                    )
            src = f"def rowfn(r, m):\n    return ({', '.join(parts)},)\n"
            namespace: dict[str, Any] = {"ts": self.ts, "json": self.json, "_memo": _memo}
            exec(compile(src, f"<sqlwrite {table}>", "exec"), namespace)  # noqa: S102
            fn = self._rowfns[key] = namespace["rowfn"]
        return fn


def _memo(memo: dict[int, Any], value: Any, conv: Callable[[Any], Any]) -> Any:
    out = memo[id(value)] = conv(value)
    return out


_DIALECTS: dict[str, Dialect] = {}


def dialect(name: str) -> Dialect:
    d = _DIALECTS.get(name)
    if d is None:
        d = _DIALECTS[name] = Dialect(name)
    return d


def insert_rows(
    executemany: Callable[[str, list[tuple]], Any],
    d: Dialect,
    table: str,
    rows: list[dict[str, Any]],
    conflict: str | None = None,
    update_columns: Sequence[str] | None = None,
    memo: dict[int, Any] | None = None,
) -> bool:
    """INSERT `rows` (ON CONFLICT (`conflict`) DO UPDATE `update_columns`, or DO NOTHING) through
    `executemany(sql, params)`. False, writing nothing, unless every row carries exactly the
    table's columns (the caller then takes a path that fills in defaults)."""
    columns = tuple(c for c, _ in TABLES[table])
    n = len(columns)
    if not rows or any(len(r) != n for r in rows):
        return False
    fn = d.row_function(table, columns)
    if memo is None:
        memo = {}
    try:
        params = [fn(r, memo) for r in rows]
    except KeyError:
        return False
    upd = tuple(update_columns) if update_columns else None

    def build(count: int = 1) -> str:
        one = f"({', '.join(['?'] * n)})"
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * count)}"
        if conflict:
            action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in upd) if upd else "DO NOTHING"
            sql += f" ON CONFLICT ({conflict}) {action}"
        return sql

    if d.name != "sqlite" or len(params) == 1:
        executemany(d.sql((table, conflict, upd), build), params)
        return True
    # SQLite: many rows per statement. The sqlite3 module takes the GIL back after every row of an
    # executemany, and an engine thread holding it makes the writer wait a switch interval each
    # time; one statement of many rows is one step with the GIL released (the same rows, in order)
    chunk = max(1, min(MULTIROW_MAX_ROWS, MULTIROW_MAX_VARIABLES // n))
    start, total = 0, len(params)
    while start < total:
        # full chunks, then powers of two: a handful of statements, each prepared once
        size = chunk if total - start >= chunk else 1 << ((total - start).bit_length() - 1)
        part = params[start : start + size]
        start += size
        sql = d.sql((table, conflict, upd, size), functools.partial(build, size))
        executemany(sql, [tuple(itertools.chain.from_iterable(part))])
    return True


#: rows per multi-row INSERT on SQLite, and the bound-variable limit (32766 since SQLite 3.32)
MULTIROW_MAX_ROWS = 256
MULTIROW_MAX_VARIABLES = 32766


def executemany_on(conn: Any) -> Callable[[str, list[tuple]], Any]:
    """executemany(sql, params) on a DB-API connection (sqlite3 or psycopg)."""
    return lambda sql, params: conn.cursor().executemany(sql, params)


def read_ts(d: Dialect, value: Any) -> datetime | None:
    """A timestamp as read back from the database: timezone-aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def read_json(d: Dialect, value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value
