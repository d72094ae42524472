"""The run write path as plain SQL over a DB-API connection, without SQLAlchemy.

One implementation, two callers: the SQLAlchemy store passes the raw DB-API connection of its
session (`bulk.py`, `task_runs.apply_batch`, and every flow-run create and state change in
`store/flow_runs.py`, which then runs the state-change hooks), and the embedded client on SQLite
passes a plain `sqlite3` connection so that a first flow call never imports SQLAlchemy
(`engine/client/lite.py`, which sends a change to the store whenever a hook has work).

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
    *STATE_COLUMN_NAMES,
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
    """A readable name derived from the id ("brisk-otter-123"), like Prefect's."""
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


def create_flow_run(conn: Any, d: Dialect, **fields: Any) -> dict[str, Any] | None:
    """A new flow run of the flow `flow_id`, or of the flow named `flow_name` (created if new), in
    `state` (default PENDING), with its first state row; every column of the row as written.
    With an `idempotency_key`, None (nothing written) when a run of the same (deployment, key)
    exists: the unique constraint settles races between servers."""
    from jupyter_orch.orchestration import rules
    from jupyter_orch.orchestration.serialize import state_data
    from jupyter_orch.states import State, StateType, new_uuid, utcnow

    flow_name = fields.pop("flow_name")
    state: State = fields.pop("state", None) or State(StateType.PENDING)
    schema = fields.pop("parameter_schema", None)
    flow_id = fields.pop("flow_id", None) or flow_id_by_name(conn, d, flow_name, schema)
    run_id = fields.pop("id", None) or new_uuid()
    idempotency_key = fields.pop("idempotency_key", None)
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
        "idempotency_key": idempotency_key,
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
    if idempotency_key is None:
        insert_rows(executemany, d, "flow_runs", [values])
    else:
        columns = tuple(c for c, _ in TABLES["flow_runs"])
        sql = d.sql(
            "run_idempotent",
            lambda: (
                f"INSERT INTO flow_runs ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})"
                " ON CONFLICT (deployment_id, idempotency_key) DO NOTHING"
            ),
        )
        if conn.execute(sql, d.row_function("flow_runs", columns)(values, {})).rowcount == 0:
            return None
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


#: the run's columns the judgement reads, and those the state-change hooks read
_RUN_COLUMNS = (
    "id",
    *STATE_COLUMN_NAMES,
    "empirical_policy",
    "expected_start_time",
    "name",
    "flow_name",
    "deployment_id",
    "deployment_name",
    "tags",
)
_RUN_TS = ("state_timestamp", "start_time", "end_time", "expected_start_time")
_RUN_JSON = ("state_data", "empirical_policy", "tags")
#: timestamp columns among those an accepted transition writes
_WRITE_TS = frozenset(
    ("state_timestamp", "start_time", "end_time", "updated", "next_scheduled_start_time",
     "expected_start_time", "last_heartbeat")
)  # fmt: skip

#: `written(run, initial, new, values)`: called after each accepted write (the store runs its
#: state-change hooks there); `run` holds the `_RUN_COLUMNS` read, `values` the columns written
Written = Callable[[Any, Any, Any, dict[str, Any]], None]


def _run_of(d: Dialect, found: Sequence[Any]) -> Any:
    from types import SimpleNamespace

    run = SimpleNamespace(**dict(zip(_RUN_COLUMNS, found, strict=True)))
    for key in _RUN_TS:
        setattr(run, key, read_ts(d, getattr(run, key)))
    for key in _RUN_JSON:
        setattr(run, key, read_json(d, getattr(run, key)))
    return run


def judge(run: Any, proposed: Any, force: bool) -> tuple[Any, Any, dict[str, Any] | None]:
    """(decision, initial state, column values to write) for `proposed` on a run just read, by
    the flow-run rules; values None when there is nothing to write (not accepted, or a no-op)."""
    from jupyter_orch.orchestration import rules
    from jupyter_orch.orchestration.serialize import state_of

    initial = state_of(run)
    ctx = rules.TransitionContext(
        kind="flow",
        initial=initial,
        proposed=proposed,
        run_count=run.run_count,
        policy=rules.RunPolicy.from_dict(run.empirical_policy),
        force=force,
    )
    decision = rules.evaluate(rules.FLOW_RUN_RULES, ctx)
    if decision.status not in (rules.ACCEPT, rules.REJECT) or decision.state is None:
        return decision, initial, None
    if decision.state is initial:  # accepted as a no-op (duplicate transition)
        return decision, initial, None
    return decision, initial, _state_values(run, initial, decision.state)


def _state_values(run: Any, initial: Any, new: Any) -> dict[str, Any]:
    """The run's columns an accepted transition from `initial` to `new` writes."""
    from jupyter_orch.orchestration import rules
    from jupyter_orch.orchestration.serialize import state_data
    from jupyter_orch.states import StateType, utcnow

    times = rules.bookkeep(
        rules.RunTimes(run.start_time, run.end_time, run.total_run_time, run.run_count), initial, new
    )
    values: dict[str, Any] = {
        "state_id": new.id,
        "state_type": new.type.value,
        "state_name": new.name,
        "state_message": new.message,
        "state_timestamp": new.timestamp,
        "state_data": state_data(new),
        "start_time": times.start_time,
        "end_time": times.end_time,
        "total_run_time": times.total_run_time,
        "run_count": times.run_count,
        "updated": utcnow(),
    }
    if new.type is StateType.SCHEDULED:
        values["next_scheduled_start_time"] = new.scheduled_time or new.timestamp
        values["expected_start_time"] = run.expected_start_time or values["next_scheduled_start_time"]
    else:
        values["next_scheduled_start_time"] = None
    if new.type is StateType.RUNNING:
        values["last_heartbeat"] = new.timestamp
    return values


def _cas(d: Dialect, run: Any, initial: Any, values: dict[str, Any]) -> tuple[str, tuple]:
    """The compare-and-set UPDATE of `values` on the run's current state id, and its parameters."""
    columns = tuple(values)
    has_initial = initial is not None
    sql = d.sql(("cas", has_initial, columns), functools.partial(_cas_sql, columns, has_initial))
    params = tuple(
        d.ts(v) if k in _WRITE_TS else d.json(v) if k == "state_data" else v for k, v in values.items()
    )
    return sql, (*params, run.id, *((initial.id,) if has_initial else ()))


def _cas_sql(columns: tuple[str, ...], has_initial: bool) -> str:
    where = "state_id = ?" if has_initial else "state_id IS NULL"
    return f"UPDATE flow_runs SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ? AND {where}"


def set_flow_run_state(
    conn: Any,
    d: Dialect,
    run_id: str,
    proposed: Any,
    force: bool = False,
    max_attempts: int = 8,
    written: Written | None = None,
) -> Any:
    """Propose a new state for a run; the rules decide, and an accepted one is written atomically.

    The write is a compare-and-set on the run's current state id, so of two processes proposing at
    once exactly one transition applies; the loser re-reads and is judged against the new state.
    The `rules.Decision`; NotFound for an unknown run.
    """
    from jupyter_orch.orchestration.errors import NotFound

    select = d.sql("run_for_state", lambda: f"SELECT {', '.join(_RUN_COLUMNS)} FROM flow_runs WHERE id = ?")
    for _ in range(max_attempts):
        found = conn.execute(select, (run_id,)).fetchone()
        if found is None:
            raise NotFound(f"no flow run with id {run_id}", field="id")
        run = _run_of(d, found)
        decision, initial, values = judge(run, proposed, force)
        if values is None:
            return decision
        if conn.execute(*_cas(d, run, initial, values)).rowcount != 1:
            continue  # the state moved since we read it: judge again against the new one
        insert_rows(_executemany(conn), d, "flow_run_states", [_state_row(run_id, decision.state)])
        if written is not None:
            written(run, initial, decision.state, values)
        return decision
    raise RuntimeError(f"flow run {run_id}: state kept changing under {max_attempts} attempts")


def _ids_in(d: Dialect, head: str) -> tuple[str, Callable[[list[str]], tuple]]:
    """`head WHERE id IN <a list given as one parameter>`, and the parameters of a list."""
    if d.name == "sqlite":
        return d.sql(head, lambda: f"{head} WHERE id IN (SELECT value FROM json_each(?))"), (
            lambda ids: (json.dumps(ids),)
        )
    return d.sql(head, lambda: f"{head} WHERE id = ANY(%s)"), lambda ids: (ids,)


def set_flow_run_states(
    conn: Any,
    d: Dialect,
    proposals: Sequence[tuple[str, Any]],
    force: bool = False,
    written: Written | None = None,
    chunk: int = 500,
) -> dict[str, Any]:
    """`set_flow_run_state` for many runs in one transaction (a worker starting its due runs at once).

    Each run is judged and written as one call of `set_flow_run_state` would (a run cancelled
    meanwhile is not started), and gets its own answer; the runs' rows are read with one query,
    the compare-and-sets run as one executemany per set of columns (each run's applied or not is
    then read back: a run holds the new state's unique id exactly when its compare-and-set
    applied) and the state history rows are inserted together. A run whose compare-and-set lost,
    or that is named twice, is proposed again on its own. An unknown run is answered ABORT.
    """
    from jupyter_orch.orchestration import rules
    from jupyter_orch.orchestration.errors import NotFound

    select_runs, ids_param = _ids_in(d, f"SELECT {', '.join(_RUN_COLUMNS)} FROM flow_runs")
    select_states, _ = _ids_in(d, "SELECT id, state_id FROM flow_runs")
    out: dict[str, Any] = {}
    later: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for i in range(0, len(proposals), chunk):
        batch = proposals[i : i + chunk]
        found = conn.execute(select_runs, ids_param([r for r, _ in batch])).fetchall()
        rows = {run.id: run for run in (_run_of(d, f) for f in found)}
        judged: list[tuple[Any, Any, Any, Any, dict[str, Any]]] = []
        groups: dict[str, list[tuple]] = {}
        for run_id, proposed in batch:
            if run_id in seen:
                later.append((run_id, proposed))
                continue
            seen.add(run_id)
            run = rows.get(run_id)
            if run is None:
                out[run_id] = rules.Decision(rules.ABORT, None, f"no flow run with id {run_id}")
                continue
            decision, initial, values = judge(run, proposed, force)
            if values is None:
                out[run_id] = decision
                continue
            sql, params = _cas(d, run, initial, values)
            groups.setdefault(sql, []).append(params)
            judged.append((run, initial, proposed, decision, values))
        if not judged:
            continue
        cursor = conn.cursor()
        for sql, params in groups.items():
            cursor.executemany(sql, params)
        now_in = dict(conn.execute(select_states, ids_param([run.id for run, *_ in judged])).fetchall())
        applied = []
        for run, initial, proposed, decision, values in judged:
            if now_in.get(run.id) != decision.state.id:  # the state moved meanwhile: judged again alone
                later.append((run.id, proposed))
            else:
                applied.append((run, initial, decision, values))
        if applied:
            states = [_state_row(run.id, decision.state) for run, _, decision, _ in applied]
            insert_rows(_executemany(conn), d, "flow_run_states", states)
        for run, initial, decision, values in applied:
            if written is not None:
                written(run, initial, decision.state, values)
            out[run.id] = decision
    for run_id, proposed in later:
        try:
            out[run_id] = set_flow_run_state(conn, d, run_id, proposed, force=force, written=written)
        except NotFound as exc:
            out[run_id] = rules.Decision(rules.ABORT, None, str(exc))
    return out


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
