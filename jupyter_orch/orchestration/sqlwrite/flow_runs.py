"""Flow runs as plain SQL: creation (with its flow and first state row) and the compare-and-set
state change, single and bulk, judged by the flow-run rules."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.errors import NotFound
from jupyter_orch.orchestration.serialize import state_data, state_of
from jupyter_orch.orchestration.sqlwrite.flows import flow_id_by_name, generate_run_name
from jupyter_orch.orchestration.sqlwrite.rows import (
    STATE_COLUMN_NAMES,
    TABLES,
    Dialect,
    executemany_on,
    insert_rows,
    read_json,
    read_ts,
)
from jupyter_orch.states import State, StateType, new_uuid, utcnow


def create_flow_run(conn: Any, d: Dialect, **fields: Any) -> dict[str, Any] | None:
    """A new flow run of the flow `flow_id`, or of the flow named `flow_name` (created if new), in
    `state` (default PENDING), with its first state row; every column of the row as written.
    With an `idempotency_key`, None (nothing written) when a run of the same (deployment, key)
    exists: the unique constraint settles races between servers."""
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
        "flow_version": fields.pop("flow_version", None),
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
    executemany = executemany_on(conn)
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
    return {
        "id": state.id,
        "flow_run_id": run_id,
        "type": state.type.value,
        "name": state.name,
        "message": state.message,
        "timestamp": state.timestamp,
        "data": state_data(state),
    }


def _history(run_id: str, proposed: Any, decision: Any) -> list[dict[str, Any]]:
    """The state rows an applied decision adds to the run's history: its state; for a crash the
    rules turned into a retry (`rules.CrashedRunsRetry`), the Crashed first, so the history says
    why the run is retried (its message: e.g. how long the heartbeat had been missing)."""
    new = decision.state
    if proposed.type.value != "CRASHED" or new.type.value != "SCHEDULED":
        return [_state_row(run_id, new)]
    crashed = proposed.copy(timestamp=min(proposed.timestamp, new.timestamp - timedelta(microseconds=1)))
    return [_state_row(run_id, crashed), _state_row(run_id, new)]


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
    run = SimpleNamespace(**dict(zip(_RUN_COLUMNS, found, strict=True)))
    for key in _RUN_TS:
        setattr(run, key, read_ts(d, getattr(run, key)))
    for key in _RUN_JSON:
        setattr(run, key, read_json(d, getattr(run, key)))
    return run


def judge(run: Any, proposed: Any, force: bool) -> tuple[Any, Any, dict[str, Any] | None]:
    """(decision, initial state, column values to write) for `proposed` on a run just read, by
    the flow-run rules; values None when there is nothing to write (not accepted, or a no-op)."""
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
    if new.type in (StateType.PENDING, StateType.RUNNING):  # a claim or a start is a sign of life: a
        values["last_heartbeat"] = new.timestamp  # retry's claim is not judged by the last attempt's beat
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
        insert_rows(executemany_on(conn), d, "flow_run_states", _history(run_id, proposed, decision))
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
    select_runs, ids_param = _ids_in(d, f"SELECT {', '.join(_RUN_COLUMNS)} FROM flow_runs")
    select_states, _ = _ids_in(d, "SELECT id, state_id FROM flow_runs")
    out: dict[str, Any] = {}
    later: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for i in range(0, len(proposals), chunk):
        batch = proposals[i : i + chunk]
        found = conn.execute(select_runs, ids_param([r for r, _ in batch])).fetchall()
        rows = {run.id: run for run in (_run_of(d, f) for f in found)}
        judged, groups = _judge_chunk(d, batch, rows, force, seen, out, later)
        if judged:
            cursor = conn.cursor()
            for sql, params in groups.items():
                cursor.executemany(sql, params)
            now_in = dict(conn.execute(select_states, ids_param([run.id for run, *_ in judged])).fetchall())
            _record_applied(conn, d, judged, now_in, written, out, later)
    for run_id, proposed in later:
        try:
            out[run_id] = set_flow_run_state(conn, d, run_id, proposed, force=force, written=written)
        except NotFound as exc:
            out[run_id] = rules.Decision(rules.ABORT, None, str(exc))
    return out


#: a judged run waiting for its compare-and-set: (run, initial state, proposed, decision, values)
_Judged = tuple[Any, Any, Any, Any, dict[str, Any]]


def _judge_chunk(
    d: Dialect,
    batch: Sequence[tuple[str, Any]],
    rows: dict[str, Any],
    force: bool,
    seen: set[str],
    out: dict[str, Any],
    later: list[tuple[str, Any]],
) -> tuple[list[_Judged], dict[str, list[tuple]]]:
    """Judge each proposal of `batch` against its run's row: answers that write nothing go to
    `out`, runs named again to `later`; the rest come back with their compare-and-sets grouped
    by statement."""
    judged: list[_Judged] = []
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
    return judged, groups


def _record_applied(
    conn: Any,
    d: Dialect,
    judged: list[_Judged],
    now_in: dict[str, Any],
    written: Written | None,
    out: dict[str, Any],
    later: list[tuple[str, Any]],
) -> None:
    """After the compare-and-sets: a run now holding its new state's id applied (history rows
    inserted together, `written` told, answer in `out`); the others moved meanwhile (`later`)."""
    applied = []
    for run, initial, proposed, decision, values in judged:
        if now_in.get(run.id) != decision.state.id:  # the state moved meanwhile: judged again alone
            later.append((run.id, proposed))
        else:
            applied.append((run, initial, decision, values, proposed))
    if applied:
        states = [
            row for run, _, decision, _, proposed in applied for row in _history(run.id, proposed, decision)
        ]
        insert_rows(executemany_on(conn), d, "flow_run_states", states)
    for run, initial, decision, values, _ in applied:
        if written is not None:
            written(run, initial, decision.state, values)
        out[run.id] = decision
