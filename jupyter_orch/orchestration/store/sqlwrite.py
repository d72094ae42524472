"""The engine's write path as plain SQL over a DB-API connection, without SQLAlchemy.

One implementation, two callers: the SQLAlchemy store passes the raw DB-API connection of its
session (`bulk.py`, `task_runs.apply_batch`), and the embedded client on SQLite passes a plain
`sqlite3` connection so that a first flow call never imports SQLAlchemy (`engine/client/lite.py`).

Rows are converted by one generated function per table and dialect (no per-row loop over
columns); values are stored exactly as SQLAlchemy stores them — SQLite DATETIME text with
microseconds, JSON text (`null` for None), JSONB on PostgreSQL — so rows written either way
read back the same. A test keeps the column lists here equal to the models'.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

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
TABLES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "task_runs": (
        ("created", TS),
        ("updated", TS),
        *_STATE_COLUMNS,
        ("id", None),
        ("name", None),
        ("task_key", None),
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
}


def _parse(value: str) -> datetime:
    from jupyter_orch.states import _parse_dt

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
    if not value and type(value) in (dict, list):
        return "{}" if type(value) is dict else "[]"
    return json.dumps(value)


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

    def build() -> str:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['?'] * n)})"
        if conflict:
            action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in upd) if upd else "DO NOTHING"
            sql += f" ON CONFLICT ({conflict}) {action}"
        return sql

    executemany(d.sql((table, conflict, upd), build), params)
    return True


#: the columns a later snapshot of the same task run overwrites
TASK_RUN_UPDATE_COLUMNS = (
    "state_id",
    "state_type",
    "state_name",
    "state_message",
    "state_timestamp",
    "state_data",
    "start_time",
    "end_time",
    "total_run_time",
    "run_count",
    "cache_key",
    "cache_expiration",
    "task_inputs",
    "updated",
)


def write_engine_rows(
    executemany: Callable[[str, list[tuple]], Any], d: Dialect, batch: dict[str, Any]
) -> dict[str, bool]:
    """The fast part of `apply_batch`: task-run snapshots (upserted, the newest wins) and their
    state rows, when they are full rows as the engine sends them. Which kinds were written."""
    memo: dict[int, Any] = {}
    done = {}
    runs = batch.get("task_runs") or []
    done["task_runs"] = not runs or insert_rows(
        executemany, d, "task_runs", runs, "id", TASK_RUN_UPDATE_COLUMNS, memo
    )
    states = batch.get("task_run_states") or []
    # states reference their runs: never written ahead of runs left to the general path
    done["task_run_states"] = not states or (
        done["task_runs"] and insert_rows(executemany, d, "task_run_states", states, "id", None, memo)
    )
    return done
