"""Flow runs: creation, reads and filters, and the one place their state changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from jupyter_orch.db.models import FlowRun, FlowRunState, new_id, utcnow
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.orchestration.serialize import state_data, state_of
from jupyter_orch.orchestration.store.flows import flow_by_id, flow_by_name
from jupyter_orch.orchestration.store.query import as_list, paginate, parse_time, tags_contain
from jupyter_orch.orchestration.store.upsert import insert_ignore
from jupyter_orch.states import State, StateType

#: Called inside the transaction after every accepted flow-run transition:
#: hook(session, run, initial_state, new_state). Services (notifications, concurrency slots)
#: register here so no caller can change a state without them hearing of it.
STATE_CHANGE_HOOKS: list[Callable[[Session, FlowRun, State | None, State], None]] = []

_ADJECTIVES = (
    "amber",
    "brisk",
    "calm",
    "daring",
    "eager",
    "fuzzy",
    "gentle",
    "hidden",
    "icy",
    "jolly",
    "keen",
    "lucky",
    "misty",
    "nimble",
    "olive",
    "proud",
    "quiet",
    "rapid",
    "silver",
    "tidy",
)
_NOUNS = (
    "otter",
    "falcon",
    "maple",
    "comet",
    "heron",
    "lynx",
    "orchid",
    "pebble",
    "quokka",
    "raven",
    "salmon",
    "tiger",
    "walrus",
    "yak",
    "zebra",
    "badger",
    "cobra",
    "dingo",
    "egret",
    "ferret",
)


def generate_run_name(run_id: str) -> str:
    """A readable name derived from the id ("brisk-otter"), like Prefect's."""
    n = int(run_id.replace("-", "")[:8], 16)
    return f"{_ADJECTIVES[n % len(_ADJECTIVES)]}-{_NOUNS[(n // 20) % len(_NOUNS)]}-{n % 1000:03d}"


def create_flow_run(session: Session, **fields: Any) -> FlowRun:
    """A new flow run in `state` (default PENDING), as an ORM object (see `insert_flow_run`)."""
    values = insert_flow_run(session, **fields)
    run = session.get(FlowRun, values["id"])
    assert run is not None
    return run


def insert_flow_run(
    session: Session,
    *,
    flow_name: str | None = None,
    flow_id: str | None = None,
    name: str | None = None,
    parameters: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    state: State | None = None,
    id: str | None = None,
    deployment_id: str | None = None,
    deployment_name: str | None = None,
    parent_task_run_id: str | None = None,
    parent_flow_run_id: str | None = None,
    idempotency_key: str | None = None,
    empirical_policy: dict[str, Any] | None = None,
    work_pool_name: str | None = None,
    work_queue_name: str | None = None,
    auto_scheduled: bool = False,
    schedule_id: str | None = None,
    job_variables: dict[str, Any] | None = None,
    parameter_schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new flow run in `state` (default PENDING); returns every column of the row as written.

    With an idempotency key, a run already created with the same (deployment, key) is returned
    instead of a second one. Core statements only: no ORM object is built, no row re-read.
    """
    if flow_id:
        flow_id, flow_name = flow_by_id(session, flow_id)
    elif flow_name:
        flow_id, flow_name = flow_by_name(session, flow_name, parameter_schema, create=True)
    else:
        raise Invalid("either flow_name or flow_id is required", field="flow_name")
    if parameters is not None and not isinstance(parameters, dict):
        raise Invalid("parameters must be an object", field="parameters")
    state = state or State(StateType.PENDING)
    run_id = id or new_id()
    now = utcnow()
    expected = state.scheduled_time or state.timestamp
    times = rules.bookkeep(rules.RunTimes(), None, state)
    values = {
        "id": run_id,
        "name": name or generate_run_name(run_id),
        "flow_id": flow_id,
        "flow_name": flow_name,
        "deployment_id": deployment_id,
        "deployment_name": deployment_name,
        "parent_task_run_id": parent_task_run_id,
        "parent_flow_run_id": parent_flow_run_id,
        "parameters": parameters or {},
        "tags": list(tags or []),
        "idempotency_key": idempotency_key,
        "empirical_policy": empirical_policy or {},
        "work_pool_name": work_pool_name,
        "work_queue_name": work_queue_name,
        "auto_scheduled": auto_scheduled,
        "schedule_id": schedule_id,
        "job_variables": job_variables or {},
        "expected_start_time": expected,
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
    conn = _connection(session)
    if idempotency_key is not None:
        # the unique (deployment_id, idempotency_key) constraint settles races between servers;
        # the lookup also covers runs without a deployment (NULLs never conflict)
        existing = _by_idempotency_key(session, deployment_id, idempotency_key)
        if existing is not None:
            return existing
        result = conn.execute(
            insert_ignore(session, FlowRun, ["deployment_id", "idempotency_key"]).execution_options(
                preserve_rowcount=True
            ),
            values,
        )
        if result.rowcount == 0:
            existing = _by_idempotency_key(session, deployment_id, idempotency_key)
            if existing is not None:
                return existing
    else:
        conn.execute(_INSERT_RUN, [values])
    _record_state(session, run_id, state, conn)
    row = {**_EMPTY_ROW, **values}
    if STATE_CHANGE_HOOKS:
        run = SimpleNamespace(**row)
        for hook in STATE_CHANGE_HOOKS:
            hook(session, run, None, state)
    return row


_TABLE = FlowRun.__table__
_INSERT_RUN = _TABLE.insert()
_INSERT_STATE = FlowRunState.__table__.insert()
_SELECT_RUN = select(_TABLE).where(_TABLE.c.id == bindparam("run_id"))
_SELECT_RUNS = select(_TABLE).where(_TABLE.c.id.in_(bindparam("run_ids", expanding=True)))
_EMPTY_ROW: dict[str, Any] = {c.key: None for c in _TABLE.columns}


def _connection(session: Session) -> Any:
    """The session's connection for Core statements, after flushing pending ORM changes (the
    ORM would autoflush before its own queries; Core statements on the connection do not)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def _by_idempotency_key(session: Session, deployment_id: str | None, key: str) -> dict[str, Any] | None:
    dep = _TABLE.c.deployment_id == deployment_id if deployment_id else _TABLE.c.deployment_id.is_(None)
    row = _connection(session).execute(select(_TABLE).where(dep, _TABLE.c.idempotency_key == key)).first()
    return dict(row._mapping) if row is not None else None


def _record_state(session: Session, run_id: str, state: State, conn: Any = None) -> None:
    (conn if conn is not None else _connection(session)).execute(
        _INSERT_STATE, [_state_record(run_id, state)]
    )


def _state_record(run_id: str, state: State) -> dict[str, Any]:
    return {
        "id": state.id,
        "flow_run_id": run_id,
        "type": state.type.value,
        "name": state.name,
        "message": state.message,
        "timestamp": state.timestamp,
        "data": state_data(state),
    }


def read_flow_run(session: Session, run_id: str) -> FlowRun:
    run = session.get(FlowRun, run_id)
    if run is None:
        raise NotFound(f"no flow run with id {run_id}", field="id")
    return run


def set_flow_run_state(
    session: Session, run_id: str, proposed: State, force: bool = False, max_attempts: int = 8
) -> rules.Decision:
    """Propose a new state for a run; the rules decide, and an accepted one is written atomically.

    The write is a compare-and-set on the run's current state id, so of two processes proposing at
    once exactly one transition applies; the loser re-reads and is judged against the new state.
    Core statements on the session's connection: the run is read fresh on every attempt (no
    identity map in the way), and an ORM copy of it in the session is expired after a write.
    """
    conn = _connection(session)
    for _ in range(max_attempts):
        run = conn.execute(_SELECT_RUN, {"run_id": run_id}).first()
        if run is None:
            raise NotFound(f"no flow run with id {run_id}", field="id")
        decision = _judge_and_write(session, conn, run, proposed, force)
        if decision is not None:
            return decision
    raise RuntimeError(f"flow run {run_id}: state kept changing under {max_attempts} attempts")


def _judge_and_write(
    session: Session, conn: Any, run: Any, proposed: State, force: bool
) -> rules.Decision | None:
    """One attempt of `set_flow_run_state` on a run row just read: the decision, or None when the
    compare-and-set lost (the state moved since the row was read)."""
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
        return decision
    if decision.state is initial:  # accepted as a no-op (duplicate transition)
        return decision
    new = decision.state
    values = _write_state(session, conn, run, initial, new)
    if values is None:
        return None
    if STATE_CHANGE_HOOKS:
        after = SimpleNamespace(**{**run._mapping, **values})
        for hook in STATE_CHANGE_HOOKS:
            hook(session, after, initial, new)
    return decision


def set_flow_run_states(
    session: Session, proposals: list[tuple[str, State]], force: bool = False
) -> dict[str, rules.Decision]:
    """`set_flow_run_state` for many runs in one transaction (a worker starting its due runs at once).

    Each run is judged by the same rules and written by the same compare-and-set as one call of
    `set_flow_run_state` would (a run cancelled meanwhile is not started), and gets its own answer;
    the runs' rows are read with one query, the compare-and-sets of a batch run as one executemany
    (each run's applied or not is then read back: a run holds the new state's unique id exactly
    when its compare-and-set applied) and the state history rows are inserted together. A run whose
    compare-and-set lost, or that is named twice, is proposed again on its own (`set_flow_run_state`).
    An unknown run is answered ABORT.
    """
    conn = _connection(session)
    out: dict[str, rules.Decision] = {}
    later: list[tuple[str, State]] = []
    seen: set[str] = set()
    for i in range(0, len(proposals), 500):
        batch = proposals[i : i + 500]
        rows = {row.id: row for row in conn.execute(_SELECT_RUNS, {"run_ids": [r for r, _ in batch]})}
        judged: list[tuple[Any, State | None, State, rules.Decision, dict[str, Any]]] = []
        groups: dict[tuple[bool, tuple[str, ...]], list[dict[str, Any]]] = {}
        for run_id, proposed in batch:
            if run_id in seen:
                later.append((run_id, proposed))
                continue
            seen.add(run_id)
            run = rows.get(run_id)
            if run is None:
                out[run_id] = rules.Decision(rules.ABORT, None, f"no flow run with id {run_id}")
                continue
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
                out[run_id] = decision
                continue
            if decision.state is initial:  # accepted as a no-op (duplicate transition)
                out[run_id] = decision
                continue
            values = _state_values(run, initial, decision.state)
            key = (initial is not None, tuple(values))
            groups.setdefault(key, []).append(_cas_params(run, initial, values))
            judged.append((run, initial, proposed, decision, values))
        if not judged:
            continue
        for key, params in groups.items():
            conn.execute(_cas_statement(*key), params)
        ids = [run.id for run, *_ in judged]
        now_in = dict(conn.execute(select(_TABLE.c.id, _TABLE.c.state_id).where(_TABLE.c.id.in_(ids))).all())
        records = []
        applied = []
        for run, initial, proposed, decision, values in judged:
            new = decision.state
            assert new is not None
            if now_in.get(run.id) != new.id:  # the state moved meanwhile: judged again alone
                later.append((run.id, proposed))
                continue
            records.append(_state_record(run.id, new))
            applied.append((run, initial, decision, values))
        if records:
            conn.execute(_INSERT_STATE, records)
        for run, initial, decision, values in applied:
            cached = session.identity_map.get(identity_key(FlowRun, run.id))
            if cached is not None:
                session.expire(cached)
            if STATE_CHANGE_HOOKS:
                after = SimpleNamespace(**{**run._mapping, **values})
                for hook in STATE_CHANGE_HOOKS:
                    hook(session, after, initial, decision.state)
            out[run.id] = decision
    for run_id, proposed in later:
        try:
            out[run_id] = set_flow_run_state(session, run_id, proposed, force=force)
        except NotFound as exc:
            out[run_id] = rules.Decision(rules.ABORT, None, str(exc))
    return out


_CAS_BY_STATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("run_id"), _TABLE.c.state_id == bindparam("initial_state_id"))
    .execution_options(synchronize_session=False)
)
_CAS_NO_STATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("run_id"), _TABLE.c.state_id.is_(None))
    .execution_options(synchronize_session=False)
)


def _write_state(
    session: Session, conn: Any, run: Any, initial: State | None, new: State
) -> dict[str, Any] | None:
    """Compare-and-set the run's state columns; the values written, or None if the state moved."""
    values = _state_values(run, initial, new)
    # one prebuilt statement per set of columns
    result = conn.execute(
        _cas_statement(initial is not None, tuple(values)), _cas_params(run, initial, values)
    )
    if result.rowcount != 1:
        return None
    _record_state(session, run.id, new, conn)
    cached = session.identity_map.get(identity_key(FlowRun, run.id))
    if cached is not None:
        session.expire(cached)
    return values


def _cas_params(run: Any, initial: State | None, values: dict[str, Any]) -> dict[str, Any]:
    params = {f"v_{k}": v for k, v in values.items()}
    params["run_id"] = run.id
    if initial:
        params["initial_state_id"] = initial.id
    return params


def _state_values(run: Any, initial: State | None, new: State) -> dict[str, Any]:
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
    if new.type is StateType.RUNNING:
        values["last_heartbeat"] = new.timestamp
    return values


_CAS_STATEMENTS: dict[tuple[bool, tuple[str, ...]], Any] = {}


def _cas_statement(has_initial: bool, columns: tuple[str, ...]) -> Any:
    """The prebuilt compare-and-set UPDATE for this set of columns (built once, then reused so
    SQLAlchemy neither rebuilds it nor recomputes its cache key)."""
    key = (has_initial, columns)
    stmt = _CAS_STATEMENTS.get(key)
    if stmt is None:
        base = _CAS_BY_STATE if has_initial else _CAS_NO_STATE
        stmt = base.values({k: bindparam(f"v_{k}", type_=_TABLE.c[k].type) for k in columns})
        _CAS_STATEMENTS[key] = stmt
    return stmt


def flow_run_states(session: Session, run_id: str) -> list[FlowRunState]:
    read_flow_run(session, run_id)
    stmt = select(FlowRunState).where(FlowRunState.flow_run_id == run_id)
    return list(session.scalars(stmt.order_by(FlowRunState.timestamp, FlowRunState.id)))


def filter_flow_runs(
    session: Session,
    stmt: Select,
    *,
    name: str | None = None,
    flow_name: str | None = None,
    flow_id: str | None = None,
    deployment_id: str | None = None,
    state_type: Any = None,
    state_name: Any = None,
    tags: Any = None,
    start_after: Any = None,
    start_before: Any = None,
    work_pool_name: str | None = None,
    parent_task_run_id: str | None = None,
) -> Select:
    if name:
        stmt = stmt.where(FlowRun.name == name)
    if flow_name:
        stmt = stmt.where(FlowRun.flow_name == flow_name)
    if flow_id:
        stmt = stmt.where(FlowRun.flow_id == flow_id)
    if deployment_id:
        stmt = stmt.where(FlowRun.deployment_id == deployment_id)
    types = [str(t).upper() for t in as_list(state_type)]
    for t in types:
        if t not in StateType.__members__:
            raise Invalid(
                f"state_type must be one of {', '.join(StateType.__members__)}; got {t!r}", field="state_type"
            )
    if types:
        stmt = stmt.where(FlowRun.state_type.in_(types))
    names = as_list(state_name)
    if names:
        stmt = stmt.where(FlowRun.state_name.in_(names))
    tag_list = as_list(tags)
    if tag_list:
        stmt = stmt.where(tags_contain(session, FlowRun.tags, tag_list))
    if start_after or start_before:
        stmt = stmt.where(
            started_between(
                parse_time(start_after, "start_after") if start_after else None,
                # inclusive upper bound, as the filter is documented
                parse_time(start_before, "start_before") + timedelta(microseconds=1)
                if start_before
                else None,
            )
        )
    if work_pool_name:
        stmt = stmt.where(FlowRun.work_pool_name == work_pool_name)
    if parent_task_run_id:
        stmt = stmt.where(FlowRun.parent_task_run_id == parent_task_run_id)
    return stmt


def list_flow_runs(
    session: Session, limit: int | None = None, cursor: str | None = None, **filters: Any
) -> tuple[list[FlowRun], str | None]:
    stmt = filter_flow_runs(session, select(FlowRun), **filters)
    return paginate(session, stmt, FlowRun, limit, cursor)


def started_between(since: datetime | None, until: datetime | None) -> Any:
    """Runs whose start (or, not started yet, expected start) lies in [since, until).

    Written as two indexable halves rather than `coalesce(start_time, expected_start_time)`,
    which no index can serve: with 100,000 runs that is the difference between a range scan
    and reading the whole table.
    """
    started = [FlowRun.start_time.is_not(None)]
    waiting = [FlowRun.start_time.is_(None)]
    if since is not None:
        started.append(FlowRun.start_time >= since)
        waiting.append(FlowRun.expected_start_time >= since)
    if until is not None:
        started.append(FlowRun.start_time < until)
        waiting.append(FlowRun.expected_start_time < until)
    return or_(and_(*started), and_(*waiting))


def count_flow_runs_by_state(
    session: Session, since: datetime | None = None, until: datetime | None = None, **filters: Any
) -> dict[str, int]:
    stmt = filter_flow_runs(
        session, select(FlowRun.state_type, func.count()).group_by(FlowRun.state_type), **filters
    )
    if since is not None or until is not None:
        stmt = stmt.where(started_between(since, until))
    return {t: n for t, n in session.execute(stmt) if t}


def bucketed_counts(
    session: Session, since: datetime, until: datetime, buckets: int, **filters: Any
) -> tuple[dict[str, int], list[dict[str, int]]]:
    """Counts by state over [since, until) and in `buckets` equal slices of it, from one query."""
    stmt = filter_flow_runs(
        session, select(FlowRun.state_type, FlowRun.start_time, FlowRun.expected_start_time), **filters
    ).where(started_between(since, until))
    total: dict[str, int] = {}
    slices: list[dict[str, int]] = [{} for _ in range(buckets)]
    span = (until - since).total_seconds()
    for state_type, start, expected in session.execute(stmt):
        if not state_type:
            continue
        when = start or expected
        i = min(buckets - 1, max(0, int((when - since).total_seconds() / span * buckets)))
        total[state_type] = total.get(state_type, 0) + 1
        slices[i][state_type] = slices[i].get(state_type, 0) + 1
    return total, slices


def update_flow_run(session: Session, run_id: str, **fields: Any) -> FlowRun:
    """Change a run's descriptive fields (never its state: that is `set_flow_run_state`)."""
    allowed = {
        "name",
        "tags",
        "progress",
        "output_location",
        "infrastructure_pid",
        "worker_name",
        "last_heartbeat",
        "parameters",
    }
    run = read_flow_run(session, run_id)
    for key, value in fields.items():
        if key not in allowed:
            raise Invalid(f"{key} cannot be changed here", field=key)
        setattr(run, key, value)
    run.updated = utcnow()
    return run


def delete_flow_run(session: Session, run_id: str) -> None:
    session.delete(read_flow_run(session, run_id))


def heartbeat(session: Session, run_ids: list[str]) -> int:
    if not run_ids:
        return 0
    result = session.execute(update(FlowRun).where(FlowRun.id.in_(run_ids)).values(last_heartbeat=utcnow()))
    return result.rowcount or 0


def stale_runs(session: Session, older_than: datetime) -> list[FlowRun]:
    """Runs that claim to be PENDING or RUNNING but whose heartbeat stopped before `older_than`."""
    stmt = select(FlowRun).where(
        FlowRun.state_type.in_(["PENDING", "RUNNING", "CANCELLING"]),
        FlowRun.work_pool_name.is_not(None),
        or_(
            FlowRun.last_heartbeat < older_than,
            and_(FlowRun.last_heartbeat.is_(None), FlowRun.state_timestamp < older_than),
        ),
    )
    return list(session.scalars(stmt))
