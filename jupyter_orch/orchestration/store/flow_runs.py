"""Flow runs: creation, reads and filters, and the one place their state changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from jupyter_orch.db.models import Flow, FlowRun, FlowRunState, utcnow
from jupyter_orch.orchestration import rules, sqlwrite
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.run_writer import RunWriter
from jupyter_orch.orchestration.store import query
from jupyter_orch.orchestration.store.flows import flow_by_id
from jupyter_orch.orchestration.store.query import as_list, paginate, parse_time, tags_contain
from jupyter_orch.states import State, StateType


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
    flow_version: str | None = None,
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
    instead of a second one. The row is written by `RunWriter.create_flow_run` (no ORM object is
    built, no row re-read), which runs the state hooks.
    """
    if flow_id:
        flow_id, flow_name = flow_by_id(session, flow_id)
    elif not flow_name:  # the flow of this name is looked up or created with the run
        raise Invalid("either flow_name or flow_id is required", field="flow_name")
    if parameters is not None and not isinstance(parameters, dict):
        raise Invalid("parameters must be an object", field="parameters")
    if idempotency_key is not None:
        # the lookup also covers runs without a deployment (NULLs never conflict)
        existing = _by_idempotency_key(session, deployment_id, idempotency_key)
        if existing is not None:
            return existing
    state = state or State(StateType.PENDING)
    values = RunWriter(*_raw(session)).create_flow_run(
        flow_name=flow_name,
        flow_id=flow_id,
        flow_version=flow_version,
        parameter_schema=parameter_schema,
        name=name,
        parameters=parameters,
        tags=tags,
        state=state,
        id=id,
        deployment_id=deployment_id,
        deployment_name=deployment_name,
        parent_task_run_id=parent_task_run_id,
        parent_flow_run_id=parent_flow_run_id,
        idempotency_key=idempotency_key,
        empirical_policy=empirical_policy,
        work_pool_name=work_pool_name,
        work_queue_name=work_queue_name,
        auto_scheduled=auto_scheduled,
        schedule_id=schedule_id,
        job_variables=job_variables,
    )
    if values is None:  # another server created it meanwhile
        existing = _by_idempotency_key(session, deployment_id, idempotency_key)  # type: ignore[arg-type]
        if existing is None:
            raise RuntimeError(f"flow run with idempotency key {idempotency_key!r} neither created nor found")
        return existing
    if parameter_schema is not None:  # it may have been updated on the flow's row
        cached = session.identity_map.get(identity_key(Flow, values["flow_id"]))
        if cached is not None:
            session.expire(cached)
    return {**EMPTY_ROW, **values}


_TABLE = FlowRun.__table__
#: a flow-run row of NULLs: what `insert_flow_run` returns has every column
EMPTY_ROW: dict[str, Any] = {c.key: None for c in _TABLE.columns}


def _connection(session: Session) -> Any:
    """The session's connection for Core statements, after flushing pending ORM changes (the
    ORM would autoflush before its own queries; Core statements on the connection do not)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def _raw(session: Session) -> tuple[Any, sqlwrite.Dialect]:
    """The session's DB-API connection (its transaction and savepoints) and its sqlwrite dialect."""
    conn = _connection(session)
    return conn.connection.driver_connection, sqlwrite.dialect(conn.dialect.name)


def _by_idempotency_key(session: Session, deployment_id: str | None, key: str) -> dict[str, Any] | None:
    dep = _TABLE.c.deployment_id == deployment_id if deployment_id else _TABLE.c.deployment_id.is_(None)
    row = _connection(session).execute(select(_TABLE).where(dep, _TABLE.c.idempotency_key == key)).first()
    return dict(row._mapping) if row is not None else None


def _writer(session: Session) -> RunWriter:
    """The run writer on the session's connection; after every accepted write the session's ORM
    copy of the run is expired (the writer wrote around it)."""

    def expire(run_id: str) -> None:
        cached = session.identity_map.get(identity_key(FlowRun, run_id))
        if cached is not None:
            session.expire(cached)

    return RunWriter(*_raw(session), on_write=expire)


def read_flow_run(session: Session, run_id: str) -> FlowRun:
    return query.read_by_id(session, FlowRun, run_id, "flow run")


def set_flow_run_state(
    session: Session, run_id: str, proposed: State, force: bool = False, max_attempts: int = 8
) -> rules.Decision:
    """Propose a new state for a run; the rules decide, and an accepted one is written atomically
    (`RunWriter.set_flow_run_state`: a compare-and-set on the run's current state id, on the
    session's connection), then the state hooks run."""
    return _writer(session).set_flow_run_state(run_id, proposed, force=force, max_attempts=max_attempts)


def set_flow_run_states(
    session: Session, proposals: list[tuple[str, State]], force: bool = False
) -> dict[str, rules.Decision]:
    """`set_flow_run_state` for many runs in one transaction (`RunWriter.set_flow_run_states`: a
    worker starting its due runs at once); an unknown run is answered ABORT."""
    return _writer(session).set_flow_run_states(proposals, force=force)


def flow_run_states(session: Session, run_id: str) -> list[FlowRunState]:
    read_flow_run(session, run_id)
    return query.run_states(session, FlowRunState, FlowRunState.flow_run_id, run_id)


def filter_flow_runs(
    session: Session,
    stmt: Select,
    *,
    name: str | None = None,
    name_like: str | None = None,
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
    for value, column in (
        (name, FlowRun.name),
        (flow_name, FlowRun.flow_name),
        (flow_id, FlowRun.flow_id),
        (deployment_id, FlowRun.deployment_id),
        (work_pool_name, FlowRun.work_pool_name),
        (parent_task_run_id, FlowRun.parent_task_run_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    if name_like:
        pattern = "%" + name_like.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(FlowRun.name.ilike(pattern, escape="\\"))
    types = _state_types(state_type)
    if types:
        stmt = stmt.where(_in_states(types))
    names = as_list(state_name)
    if names:
        stmt = stmt.where(FlowRun.state_name.in_(names))
    tag_list = as_list(tags)
    if tag_list:
        stmt = stmt.where(tags_contain(session, FlowRun.tags, tag_list))
    if start_after or start_before:
        stmt = stmt.where(_started_between(start_after, start_before))
    return stmt


def _state_types(state_type: Any) -> list[str]:
    types = [str(t).upper() for t in as_list(state_type)]
    for t in types:
        if t not in StateType.__members__:
            raise Invalid(
                f"state_type must be one of {', '.join(StateType.__members__)}; got {t!r}", field="state_type"
            )
    return types


def _in_states(types: list[str]) -> Any:
    """`state_type IN types`, written as `NOT IN` the others when those are fewer: the same rows
    (NULL matches neither), but "every state but Scheduled" (the Runs page's history) then is no
    index lookup on most of the table followed by a sort of every match; the planner reads the
    newest-first index and stops after a page (100,000 runs: ~150 ms -> ~5 ms on SQLite)."""
    others = [t for t in StateType.__members__ if t not in types]
    if len(others) >= len(types):
        return FlowRun.state_type.in_(types)
    return FlowRun.state_type.not_in(others) if others else FlowRun.state_type.is_not(None)


def _started_between(start_after: Any, start_before: Any) -> Any:
    return started_between(
        parse_time(start_after, "start_after") if start_after else None,
        # inclusive upper bound, as the filter is documented
        parse_time(start_before, "start_before") + timedelta(microseconds=1) if start_before else None,
    )


def list_flow_runs(
    session: Session,
    limit: int | None = None,
    cursor: str | None = None,
    sort: str = "created",
    **filters: Any,
) -> tuple[list[FlowRun], str | None]:
    """A page of runs: newest created first, or (`sort="expected_start_time"`) soonest expected
    start first, as the upcoming runs are shown."""
    stmt = filter_flow_runs(session, select(FlowRun), **filters)
    if sort == "expected_start_time":
        stmt = stmt.where(FlowRun.expected_start_time.is_not(None))
        return paginate(session, stmt, FlowRun, limit, cursor, order="asc", key="expected_start_time")
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


#: the states of a run a worker holds, which it heartbeats
HEARTBEATED = ("PENDING", "RUNNING", "CANCELLING")


def stale_runs(session: Session, older_than: datetime) -> list[FlowRun]:
    """Runs that claim to be PENDING or RUNNING but whose heartbeat stopped before `older_than`."""
    stmt = select(FlowRun).where(
        FlowRun.state_type.in_(HEARTBEATED),
        FlowRun.work_pool_name.is_not(None),
        or_(
            FlowRun.last_heartbeat < older_than,
            and_(FlowRun.last_heartbeat.is_(None), FlowRun.state_timestamp < older_than),
        ),
    )
    return list(session.scalars(stmt))


def oldest_heartbeat(session: Session) -> datetime | None:
    """The oldest last sign of life among runs workers hold: when the next one may go stale."""
    beat = func.coalesce(FlowRun.last_heartbeat, FlowRun.state_timestamp)
    stmt = select(func.min(beat)).where(
        FlowRun.state_type.in_(HEARTBEATED), FlowRun.work_pool_name.is_not(None)
    )
    value = session.execute(stmt).scalar()
    if value is None:
        return None
    value = parse_time(value, "last_heartbeat")
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
