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

import functools
import itertools
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


# -- flows and flow runs: what the engine's first call writes ------------------------------------
TABLES["flows"] = (
    ("id", None),
    ("name", None),
    ("tags", JSON),
    ("parameter_schema", JSON),
    ("created", TS),
    ("updated", TS),
)
#: the columns `create_flow_run` writes (the others stay SQL NULL, as the store leaves them)
TABLES["flow_runs"] = (
    ("id", None),
    ("name", None),
    ("flow_id", None),
    ("flow_name", None),
    ("deployment_id", None),
    ("deployment_name", None),
    ("parent_task_run_id", None),
    ("parent_flow_run_id", None),
    ("parameters", JSON),
    ("tags", JSON),
    ("idempotency_key", None),
    ("empirical_policy", JSON),
    ("work_pool_name", None),
    ("work_queue_name", None),
    ("auto_scheduled", None),
    ("schedule_id", None),
    ("job_variables", JSON),
    ("expected_start_time", TS),
    ("next_scheduled_start_time", TS),
    ("state_id", None),
    ("state_type", None),
    ("state_name", None),
    ("state_message", None),
    ("state_timestamp", TS),
    ("state_data", JSON),
    ("start_time", TS),
    ("end_time", TS),
    ("run_count", None),
    ("total_run_time", None),
    ("created", TS),
    ("updated", TS),
)

_ADJECTIVES = (
    "amber", "brisk", "calm", "daring", "eager", "fuzzy", "gentle", "hidden", "icy", "jolly",
    "keen", "lucky", "misty", "nimble", "olive", "proud", "quiet", "rapid", "silver", "tidy",
)  # fmt: skip
_NOUNS = (
    "otter", "falcon", "maple", "comet", "heron", "lynx", "orchid", "pebble", "quokka", "raven",
    "salmon", "tiger", "walrus", "yak", "zebra", "badger", "cobra", "dingo", "egret", "ferret",
)  # fmt: skip


def generate_run_name(run_id: str) -> str:
    """A readable name derived from the id ("brisk-otter-123"), like Prefect's (a test keeps it
    equal to `store.flow_runs.generate_run_name`)."""
    n = int(run_id.replace("-", "")[:8], 16)
    return f"{_ADJECTIVES[n % len(_ADJECTIVES)]}-{_NOUNS[(n // 20) % len(_NOUNS)]}-{n % 1000:03d}"


def _executemany(conn: Any) -> Callable[[str, list[tuple]], Any]:
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


def flow_id_by_name(conn: Any, d: Dialect, name: str, parameter_schema: dict[str, Any] | None) -> str:
    """The id of the flow named `name`, created if new (two processes racing both get the one
    row); its parameter schema updated if given and changed. As `store.flows.flow_by_name`."""
    from jupyter_orch.states import new_uuid, utcnow

    select = d.sql("flow_by_name", lambda: "SELECT id, parameter_schema FROM flows WHERE name = ?")
    row = conn.execute(select, (name,)).fetchone()
    if row is None:
        now = utcnow()
        values = {
            "id": new_uuid(),
            "name": name,
            "tags": [],
            "parameter_schema": parameter_schema,
            "created": now,
            "updated": now,
        }
        insert_rows(_executemany(conn), d, "flows", [values], "name")
        row = conn.execute(select, (name,)).fetchone()
    elif parameter_schema is not None and read_json(d, row[1]) != parameter_schema:
        update = d.sql(
            "flow_schema", lambda: "UPDATE flows SET parameter_schema = ?, updated = ? WHERE id = ?"
        )
        conn.execute(update, (d.json(parameter_schema), d.ts(utcnow()), row[0]))
    return row[0]


def create_flow_run(conn: Any, d: Dialect, **fields: Any) -> dict[str, Any]:
    """A new flow run of the flow named `flow_name` (created if new) in `state` (default PENDING),
    with its first state row; every column written, as `store.flow_runs.insert_flow_run` writes
    it (that function also takes idempotency keys and flow ids: the engine uses neither)."""
    from jupyter_orch.orchestration import rules
    from jupyter_orch.orchestration.serialize import state_data
    from jupyter_orch.states import State, StateType, new_uuid, utcnow

    flow_name = fields.pop("flow_name")
    state: State = fields.pop("state", None) or State(StateType.PENDING)
    flow_id = flow_id_by_name(conn, d, flow_name, fields.pop("parameter_schema", None))
    run_id = fields.pop("id", None) or new_uuid()
    now = utcnow()
    times = rules.bookkeep(rules.RunTimes(), None, state)
    values = {
        "id": run_id,
        "name": fields.pop("name", None) or generate_run_name(run_id),
        "flow_id": flow_id,
        "flow_name": flow_name,
        "deployment_id": fields.pop("deployment_id", None),
        "deployment_name": fields.pop("deployment_name", None),
        "parent_task_run_id": fields.pop("parent_task_run_id", None),
        "parent_flow_run_id": fields.pop("parent_flow_run_id", None),
        "parameters": fields.pop("parameters", None) or {},
        "tags": list(fields.pop("tags", None) or []),
        "idempotency_key": None,
        "empirical_policy": fields.pop("empirical_policy", None) or {},
        "work_pool_name": fields.pop("work_pool_name", None),
        "work_queue_name": fields.pop("work_queue_name", None),
        "auto_scheduled": bool(fields.pop("auto_scheduled", False)),
        "schedule_id": fields.pop("schedule_id", None),
        "job_variables": fields.pop("job_variables", None) or {},
        "expected_start_time": state.scheduled_time or state.timestamp,
        "next_scheduled_start_time": state.scheduled_time if state.type is StateType.SCHEDULED else None,
        "state_id": state.id,
        "state_type": state.type.value,
        "state_name": state.name,
        "state_message": state.message,
        "state_timestamp": state.timestamp,
        "state_data": state_data(state),
        "start_time": times.start_time,
        "end_time": times.end_time,
        "run_count": times.run_count,
        "total_run_time": 0.0,
        "created": now,
        "updated": now,
    }
    if fields:
        raise TypeError(f"create_flow_run: unexpected fields {sorted(fields)}")
    executemany = _executemany(conn)
    insert_rows(executemany, d, "flow_runs", [values])
    insert_rows(executemany, d, "flow_run_states", [_state_row(run_id, state)])
    return values


def _state_row(run_id: str, state: Any) -> dict[str, Any]:
    from jupyter_orch.orchestration.serialize import state_data

    return {
        "id": state.id,
        "flow_run_id": run_id,
        "type": state.type.value,
        "name": state.name,
        "message": state.message,
        "timestamp": state.timestamp,
        "data": state_data(state),
    }


_RUN_COLUMNS = (
    "id",
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
    "empirical_policy",
    "expected_start_time",
)


def set_flow_run_state(
    conn: Any, d: Dialect, run_id: str, proposed: Any, force: bool = False, max_attempts: int = 8
) -> Any:
    """Judge `proposed` by the flow-run rules and write an accepted state with a compare-and-set
    on the run's current state id, as `store.flow_runs.set_flow_run_state` does (that function
    also runs the state-change hooks: callers take it when a hook has work, see `lite.py`).
    The `rules.Decision`; NotFound for an unknown run."""
    from types import SimpleNamespace

    from jupyter_orch.orchestration import rules
    from jupyter_orch.orchestration.errors import NotFound
    from jupyter_orch.orchestration.serialize import state_data, state_of
    from jupyter_orch.states import StateType, utcnow

    select = d.sql("run_for_state", lambda: f"SELECT {', '.join(_RUN_COLUMNS)} FROM flow_runs WHERE id = ?")
    for _ in range(max_attempts):
        found = conn.execute(select, (run_id,)).fetchone()
        if found is None:
            raise NotFound(f"no flow run with id {run_id}", field="id")
        run = SimpleNamespace(**dict(zip(_RUN_COLUMNS, found, strict=True)))
        for key in ("state_timestamp", "start_time", "end_time", "expected_start_time"):
            setattr(run, key, read_ts(d, getattr(run, key)))
        run.state_data = read_json(d, run.state_data)
        initial = state_of(run)
        ctx = rules.TransitionContext(
            kind="flow",
            initial=initial,
            proposed=proposed,
            run_count=run.run_count,
            policy=rules.RunPolicy.from_dict(read_json(d, run.empirical_policy)),
            force=force,
        )
        decision = rules.evaluate(rules.FLOW_RUN_RULES, ctx)
        if decision.status not in (rules.ACCEPT, rules.REJECT) or decision.state is None:
            return decision
        if decision.state is initial:  # accepted as a no-op (duplicate transition)
            return decision
        new = decision.state
        times = rules.bookkeep(
            rules.RunTimes(run.start_time, run.end_time, run.total_run_time, run.run_count), initial, new
        )
        values: dict[str, Any] = {
            "state_id": new.id,
            "state_type": new.type.value,
            "state_name": new.name,
            "state_message": new.message,
            "state_timestamp": d.ts(new.timestamp),
            "state_data": d.json(state_data(new)),
            "start_time": d.ts(times.start_time),
            "end_time": d.ts(times.end_time),
            "total_run_time": times.total_run_time,
            "run_count": times.run_count,
            "updated": d.ts(utcnow()),
        }
        if new.type is StateType.SCHEDULED:
            next_start = new.scheduled_time or new.timestamp
            values["next_scheduled_start_time"] = d.ts(next_start)
            values["expected_start_time"] = d.ts(run.expected_start_time or next_start)
        else:
            values["next_scheduled_start_time"] = None
        if new.type is StateType.RUNNING:
            values["last_heartbeat"] = d.ts(new.timestamp)
        columns = tuple(values)
        has_initial = initial is not None
        sql = d.sql(("cas", has_initial, columns), functools.partial(_cas_sql, columns, has_initial))
        params = (*values.values(), run_id, *((initial.id,) if initial is not None else ()))
        if conn.execute(sql, params).rowcount != 1:
            continue  # the state moved since we read it: judge again against the new one
        insert_rows(_executemany(conn), d, "flow_run_states", [_state_row(run_id, new)])
        return decision
    raise RuntimeError(f"flow run {run_id}: state kept changing under {max_attempts} attempts")


def _cas_sql(columns: tuple[str, ...], has_initial: bool) -> str:
    where = "state_id = ?" if has_initial else "state_id IS NULL"
    return f"UPDATE flow_runs SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ? AND {where}"


class NotEngineRows(Exception):
    """A batch row is not a full engine row: roll back and take the general path."""


def write_batch(conn: Any, d: Dialect, batch: dict[str, Any]) -> None:
    """The whole of an engine batch when every row is a full engine row (task runs, states,
    edges, logs; no artifacts). Raises `NotEngineRows` otherwise, possibly after writing part of
    it: the caller rolls the transaction back and takes `store.task_runs.apply_batch`, which
    validates and fills in defaults."""
    if batch.get("artifacts"):
        raise NotEngineRows("artifacts")
    for row in batch.get("task_runs") or ():
        if not (row.get("id") and row.get("name") and row.get("task_key") and row.get("state_type")):
            raise NotEngineRows("task_runs")
        if not row.get("state_id"):
            raise NotEngineRows("task_runs")
    executemany = _executemany(conn)
    memo: dict[int, Any] = {}
    for kind, table, conflict, update in (
        ("task_runs", "task_runs", "id", TASK_RUN_UPDATE_COLUMNS),
        ("task_run_states", "task_run_states", "id", None),
        ("edges", "task_run_edges", None, None),
        ("logs", "logs", None, None),
    ):
        rows = batch.get(kind)
        if rows and not insert_rows(executemany, d, table, rows, conflict, update, memo):
            raise NotEngineRows(kind)
