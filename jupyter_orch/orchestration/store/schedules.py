"""Deployment schedules, and the scheduler's pass that turns them into runs.

Each active schedule of an unpaused deployment keeps a window of future SCHEDULED runs (Prefect's
rule: at least `min_runs` and `min_time` ahead, at most `max_runs` and `max_time`). A run's id and
idempotency key derive from (deployment, schedule, time), and rows are inserted with
INSERT … ON CONFLICT DO NOTHING in bulk, so two schedulers on one database can never create a run
twice and a pass over thousands of deployments is a handful of statements.

`scheduled_until` is where a schedule's window ends. When it lies in the past, no scheduler ran
for a while and the slots in between were missed: the deployment's `catchup` decides what happens
to them ("skip": nothing, "once": one run for the latest missed slot, "all": one run per slot).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, and_, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Deployment, DeploymentSchedule, FlowRun, new_id, utcnow
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store.query import read_by_id
from jupyter_orch.orchestration.store.scheduled_runs import (
    DEPLOYMENT_FIELDS,
    JSON_FIELDS,
    RunWriter,
)
from jupyter_orch.scheduling import Schedule, parse_schedule
from jupyter_orch.scheduling.schedules import check_input

MAX_CATCHUP_RUNS = 1000
CHUNK = 5000


@dataclass(frozen=True)
class Window:
    """How far ahead the scheduler keeps runs (Prefect's defaults)."""

    min_runs: int = 3
    max_runs: int = 100
    min_time: timedelta = timedelta(hours=1)
    max_time: timedelta = timedelta(days=100)


def parse_all(specs: Iterable[dict[str, Any]]) -> list[tuple[Schedule, bool]]:
    """Schedules as given to a deployment: `{"cron"|"interval", ...}` or `{"schedule": {...}, "active"}`."""
    out = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise Invalid(f"schedules[{i}] must be an object", field=f"schedules[{i}]")
        inner = spec.get("schedule", spec)
        try:
            out.append((check_input(parse_schedule(inner)), bool(spec.get("active", True))))
        except Invalid as exc:
            raise Invalid(f"schedules[{i}]: {exc.message}", field=f"schedules[{i}].{exc.field}") from exc
    return out


def unschedule(session: Session, deployment_id: str, schedule_id: str | None = None) -> int:
    """Delete the auto-scheduled runs that have not started, and restart the schedules' windows.

    Not started includes a run a worker claimed ahead (PENDING, never run: `run_count` 0): its
    worker finds it gone at its next heartbeat, or at the latest when it proposes RUNNING (a
    compare-and-set on the claim, which no longer exists), and drops it. On PostgreSQL the
    deployment row is locked first: a scheduler write in progress for it (which holds it locked)
    commits before the delete runs, so the delete sees its runs; a claim committing meanwhile
    holds the run's row, and the DELETE, waiting for it, judges the claimed row afresh.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock = select(Deployment.id).where(Deployment.id == deployment_id)
        session.execute(lock.with_for_update(key_share=True)).all()
    stmt = delete(FlowRun).where(
        FlowRun.deployment_id == deployment_id,
        FlowRun.auto_scheduled.is_(True),
        or_(
            FlowRun.state_type == "SCHEDULED",
            and_(FlowRun.state_type == "PENDING", FlowRun.run_count == 0),
        ),
    )
    reset_window(session, deployment_id, schedule_id)
    if schedule_id:
        stmt = stmt.where(FlowRun.schedule_id == schedule_id)
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def list_schedules(session: Session, deployment_id: str) -> list[DeploymentSchedule]:
    stmt = select(DeploymentSchedule).where(DeploymentSchedule.deployment_id == deployment_id)
    return list(session.scalars(stmt.order_by(DeploymentSchedule.created, DeploymentSchedule.id)))


def replace_schedules(session: Session, dep: Deployment, parsed: list[tuple[Schedule, bool]]) -> None:
    """Make the deployment's schedules exactly `parsed`; unchanged ones keep their id and window."""
    existing = list_schedules(session, dep.id)
    by_spec = {_key(s.schedule): s for s in existing}
    keep: set[str] = set()
    for schedule, active in parsed:
        row = by_spec.pop(_key(schedule.to_dict()), None)
        if row is None:
            row = DeploymentSchedule(
                id=new_id(), deployment_id=dep.id, schedule=schedule.to_dict(), active=active
            )
            session.add(row)
        elif row.active != active:
            set_schedule_active(session, row.id, active)
        keep.add(row.id)
    for row in by_spec.values():
        unschedule(session, dep.id, row.id)
        session.delete(row)
    session.flush()


def _key(spec: dict[str, Any]) -> tuple:
    d = parse_schedule(spec).to_dict()
    return tuple(sorted((k, str(v)) for k, v in d.items()))


def set_schedule_active(session: Session, schedule_id: str, active: bool) -> DeploymentSchedule:
    """Pausing a schedule deletes its not-yet-started runs; resuming schedules from now on."""
    row = read_by_id(session, DeploymentSchedule, schedule_id, "schedule")
    resuming = active and not row.active
    if row.active and not active:
        unschedule(session, row.deployment_id, row.id)
    row.active = active
    row.updated = utcnow()
    if resuming:
        session.flush()
        schedule_deployment(session, row.deployment_id)
    return row


def reset_window(session: Session, deployment_id: str, schedule_id: str | None = None) -> None:
    stmt = update(DeploymentSchedule).where(DeploymentSchedule.deployment_id == deployment_id)
    if schedule_id:
        stmt = stmt.where(DeploymentSchedule.id == schedule_id)
    session.execute(stmt.values(scheduled_until=None).execution_options(synchronize_session=False))


def schedule_dicts(session: Session, deployment_id: str, preview: int = 3) -> list[dict[str, Any]]:
    out = []
    for row in list_schedules(session, deployment_id):
        schedule = parse_schedule(row.schedule)
        d = row_to_dict(row)
        d["description"] = schedule.describe()
        d["next_runs"] = [t.isoformat() for t in schedule.next_n(preview)] if preview else []
        out.append(d)
    return out


# -- the scheduler's pass ------------------------------------------------------------------------
def _window_times(schedule: Schedule, now: datetime, window: Window) -> list[datetime]:
    out: list[datetime] = []
    for t in schedule.times(now):
        if len(out) >= window.max_runs or t > now + window.max_time:
            break
        out.append(t)
        if len(out) >= window.min_runs and t >= now + window.min_time:
            break
    return out


def _missed(schedule: Schedule, since: datetime, now: datetime, policy: str) -> list[datetime]:
    if policy == "skip":
        return []
    missed = schedule.between(since, now, limit=MAX_CATCHUP_RUNS if policy == "all" else 10**9)
    if policy == "once":
        return missed[-1:]
    return missed


def _due(
    session: Session, now: datetime, window: Window, deployment_id: str | None = None
) -> list[tuple[str, str, list[datetime]]]:
    """(deployment id, schedule id, times to create) for every schedule whose window needs runs
    (of one deployment, with `deployment_id`).

    Reads four narrow columns per schedule; the maths runs once per distinct schedule spec.
    """
    stmt = (
        select(
            DeploymentSchedule.id,
            cast(DeploymentSchedule.schedule, Text),
            DeploymentSchedule.scheduled_until,
            Deployment.id,
            Deployment.catchup,
        )
        .join(Deployment, Deployment.id == DeploymentSchedule.deployment_id)
        .where(DeploymentSchedule.active.is_(True), Deployment.paused.is_(False))
        .order_by(DeploymentSchedule.id)  # one insert order for every scheduler: no deadlocks
    )
    if deployment_id is not None:
        stmt = stmt.where(Deployment.id == deployment_id)
    cache: dict[str, tuple[Schedule, list[datetime]]] = {}
    due = []
    for sid, spec_text, until, dep_id, catchup in session.execute(stmt):
        hit = cache.get(spec_text)
        if hit is None:  # deployments sharing a schedule share the maths
            parsed = parse_schedule(json.loads(spec_text))
            hit = cache[spec_text] = (parsed, _window_times(parsed, now, window))
        schedule, future = hit
        if until is not None and future and until > future[-1] and until >= now:
            continue  # the steady state: the window is full
        times = [t for t in future if until is None or t >= until]
        if until is not None and until < now:
            times = _missed(schedule, until, now, catchup) + times
        if times:
            due.append((dep_id, sid, times))
    return due


def _deployments(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    cols = [
        cast(getattr(Deployment, f), Text) if f in JSON_FIELDS else getattr(Deployment, f)
        for f in DEPLOYMENT_FIELDS
    ]
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        for row in session.execute(select(*cols).where(Deployment.id.in_(ids[i : i + 500]))):
            d = dict(zip(DEPLOYMENT_FIELDS, row, strict=True))
            out[d["id"]] = {k: (None if k in JSON_FIELDS and v == "null" else v) for k, v in d.items()}
    return out


Due = list[tuple[dict[str, Any], str, list[datetime]]]  # (deployment fields, schedule id, times)


def plan_pass(
    session: Session, now: datetime, window: Window | None = None, deployment_id: str | None = None
) -> Due:
    """What a pass at `now` must create: the runs of every schedule whose window is not full (of
    one deployment, with `deployment_id`)."""
    due = _due(session, now, window or Window(), deployment_id)
    deployments = _deployments(session, sorted({dep_id for dep_id, _, _ in due}))
    return [(deployments[d], sid, times) for d, sid, times in due if d in deployments]


def write_runs(session: Session, now: datetime, due: Due) -> int:
    """Insert-or-ignore the planned runs and move the schedules' windows; returns runs inserted.

    A plan is made in an earlier transaction, so a deployment may have been paused (or a schedule
    deactivated or deleted) since: the write first keeps only the schedules that are still active
    on unpaused deployments, inside its own transaction. On PostgreSQL the deployment rows stay
    locked until the runs are committed, and pausing or deactivating locks the deployment row
    before deleting its runs (`unschedule`), so either the pause waits and then deletes
    these runs, or this write waits and then sees the pause. On SQLite writes are serial.
    """
    due = _still_scheduled(session, due)
    if not due:
        return 0
    writer = RunWriter(session.connection(), now)
    runs: list[tuple] = []
    states: list[tuple] = []
    for dep, sid, times in due:
        r, s = writer.rows(dep, sid, times)
        runs += r
        states += s
    return writer.write(runs, states, [(times[-1] + timedelta(microseconds=1), sid) for _, sid, times in due])


def _still_scheduled(session: Session, due: Due) -> Due:
    """The part of a plan whose schedules are still active on unpaused deployments.

    PostgreSQL: the deployment rows are locked first (FOR NO KEY UPDATE, in id order, so passes
    queue instead of deadlocking, and flow runs referencing them can still be inserted), then read
    with a fresh snapshot, which sees any pause committed while we waited for the locks.
    """
    if session.get_bind().dialect.name == "postgresql":
        dep_ids = sorted({dep["id"] for dep, _, _ in due})
        for i in range(0, len(dep_ids), 500):
            lock = select(Deployment.id).where(Deployment.id.in_(dep_ids[i : i + 500]))
            session.execute(lock.order_by(Deployment.id).with_for_update(key_share=True)).all()
    sids = sorted({sid for _, sid, _ in due})
    live: set[str] = set()
    for i in range(0, len(sids), 500):
        stmt = (
            select(DeploymentSchedule.id)
            .join(Deployment, Deployment.id == DeploymentSchedule.deployment_id)
            .where(
                DeploymentSchedule.id.in_(sids[i : i + 500]),
                DeploymentSchedule.active.is_(True),
                Deployment.paused.is_(False),
            )
        )
        live.update(session.scalars(stmt))
    return [item for item in due if item[1] in live]


def chunks(due: Due, size: int = CHUNK) -> Iterator[Due]:
    """The plan in parts of about `size` runs (whole schedules), one transaction each."""
    part: Due = []
    count = 0
    for item in due:
        part.append(item)
        count += len(item[2])
        if count >= size:
            yield part
            part, count = [], 0
    if part:
        yield part


def schedule_runs(session: Session, now: datetime | None = None, window: Window | None = None) -> int:
    """One scheduler pass over every active schedule of every unpaused deployment, in `session`.

    Returns the number of runs inserted (runs another scheduler already made are not counted).
    The scheduler service runs the same plan in chunks, a transaction each (`chunks`).
    """
    now = now or utcnow()
    return write_runs(session, now, plan_pass(session, now, window))


def schedule_deployment(session: Session, deployment_id: str) -> int:
    """Fill the windows of one deployment's schedules now, in `session`: a new, changed or resumed
    schedule has its runs at once instead of at the scheduler's next pass (up to
    `scheduler_interval` later), so its first slot is never missed. The runs' ids derive from
    their times, so the scheduler's own pass creates none twice."""
    now = utcnow()
    return write_runs(session, now, plan_pass(session, now, deployment_id=deployment_id))
