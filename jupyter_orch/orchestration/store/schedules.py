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
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Deployment, DeploymentSchedule, FlowRun, FlowRunState, new_id, utcnow
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store.flow_runs import generate_run_name
from jupyter_orch.orchestration.store.upsert import _insert
from jupyter_orch.scheduling import Schedule, parse_schedule

_NAMESPACE = uuid.UUID("6f1c1d2e-8a35-4c1e-9a3b-0c7e5d4b2a10")
MAX_CATCHUP_RUNS = 1000
CHUNK = 500


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
            out.append((parse_schedule(inner), bool(spec.get("active", True))))
        except Invalid as exc:
            raise Invalid(f"schedules[{i}]: {exc.message}", field=f"schedules[{i}].{exc.field}") from exc
    return out


def list_schedules(session: Session, deployment_id: str) -> list[DeploymentSchedule]:
    stmt = select(DeploymentSchedule).where(DeploymentSchedule.deployment_id == deployment_id)
    return list(session.scalars(stmt.order_by(DeploymentSchedule.created, DeploymentSchedule.id)))


def replace_schedules(session: Session, dep: Deployment, parsed: list[tuple[Schedule, bool]]) -> None:
    """Make the deployment's schedules exactly `parsed`; unchanged ones keep their id and window."""
    from jupyter_orch.orchestration.store.deployments import unschedule

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


def add_schedule(
    session: Session, deployment_id: str, spec: dict[str, Any], active: bool = True
) -> DeploymentSchedule:
    ((schedule, active_),) = parse_all([{"schedule": spec, "active": active}])
    row = DeploymentSchedule(
        id=new_id(), deployment_id=deployment_id, schedule=schedule.to_dict(), active=active_
    )
    session.add(row)
    session.flush()
    return row


def set_schedule_active(session: Session, schedule_id: str, active: bool) -> DeploymentSchedule:
    """Pausing a schedule deletes its not-yet-started runs; resuming schedules from now on."""
    from jupyter_orch.orchestration.store.deployments import unschedule

    row = session.get(DeploymentSchedule, schedule_id)
    if row is None:
        raise NotFound(f"no schedule with id {schedule_id}", field="id")
    if row.active and not active:
        unschedule(session, row.deployment_id, row.id)
    row.active = active
    row.updated = utcnow()
    return row


def delete_schedule(session: Session, schedule_id: str) -> None:
    row = set_schedule_active(session, schedule_id, False)
    session.delete(row)


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
def run_id_for(deployment_id: str, schedule_id: str, when: datetime) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{deployment_id}|{schedule_id}|{when.isoformat()}"))


def idempotency_key(schedule_id: str, when: datetime) -> str:
    return f"scheduled {schedule_id} {when.isoformat()}"


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


def schedule_runs(session: Session, now: datetime | None = None, window: Window | None = None) -> int:
    """One scheduler pass over every active schedule of every unpaused deployment.

    Returns the number of runs inserted (runs another scheduler already made are not counted).
    """
    now = now or utcnow()
    window = window or Window()
    stmt = (
        select(DeploymentSchedule, Deployment)
        .join(Deployment, Deployment.id == DeploymentSchedule.deployment_id)
        .where(DeploymentSchedule.active.is_(True), Deployment.paused.is_(False))
    )
    runs: list[dict[str, Any]] = []
    advanced: list[dict[str, Any]] = []
    cache: dict[str, tuple[Schedule, list[datetime]]] = {}
    for sched_row, dep in session.execute(stmt):
        spec_key = json.dumps(sched_row.schedule, sort_keys=True)
        if spec_key not in cache:  # deployments sharing a schedule share the maths
            parsed = parse_schedule(sched_row.schedule)
            cache[spec_key] = (parsed, _window_times(parsed, now, window))
        schedule, future = cache[spec_key]
        until = sched_row.scheduled_until
        times = [t for t in future if until is None or t >= until]
        if until is not None and until < now:
            times = _missed(schedule, until, now, dep.catchup) + times
        if not times:
            continue
        runs.extend(_run_row(dep, sched_row.id, t, now) for t in times)
        new_until = max(times[-1] + timedelta(microseconds=1), until or now)
        advanced.append({"sid": sched_row.id, "until": new_until})
    inserted = _insert_runs(session, runs)
    if advanced:
        table = DeploymentSchedule.__table__
        stmt = update(table).where(table.c.id == bindparam("sid")).values(scheduled_until=bindparam("until_"))
        session.execute(stmt, [{"sid": a["sid"], "until_": a["until"]} for a in advanced])
    return inserted


def _run_row(dep: Deployment, schedule_id: str, when: datetime, now: datetime) -> dict[str, Any]:
    run_id = run_id_for(dep.id, schedule_id, when)
    state_id = str(uuid.uuid5(_NAMESPACE, run_id))
    return {
        "id": run_id,
        "name": generate_run_name(run_id),
        "flow_id": dep.flow_id,
        "flow_name": dep.flow_name,
        "deployment_id": dep.id,
        "deployment_name": dep.name,
        "parameters": dep.parameters or {},
        "tags": list(dep.tags or []),
        "idempotency_key": idempotency_key(schedule_id, when),
        "empirical_policy": dep.empirical_policy or {},
        "work_pool_name": dep.work_pool_name,
        "work_queue_name": dep.work_queue_name,
        "auto_scheduled": True,
        "schedule_id": schedule_id,
        "job_variables": dep.job_variables or {},
        "expected_start_time": when,
        "next_scheduled_start_time": when,
        "state_id": state_id,
        "state_type": "SCHEDULED",
        "state_name": "Scheduled",
        "state_message": None,
        "state_timestamp": now,
        "state_data": {"result": None, "scheduled_time": when.isoformat()},
        "start_time": None,
        "end_time": None,
        "run_count": 0,
        "total_run_time": 0.0,
        "created": now,
        "updated": now,
    }


def _insert_runs(session: Session, runs: list[dict[str, Any]]) -> int:
    """Insert-or-ignore the runs and their first state; a conflict on any key means "already made"."""
    inserted = 0
    for i in range(0, len(runs), CHUNK):
        chunk = runs[i : i + CHUNK]
        stmt = _insert(session, FlowRun).on_conflict_do_nothing().returning(FlowRun.__table__.c.id)
        inserted += len(session.execute(stmt, chunk).all())
        states = [
            {
                "id": r["state_id"],
                "flow_run_id": r["id"],
                "type": "SCHEDULED",
                "name": "Scheduled",
                "message": None,
                "timestamp": r["state_timestamp"],
                "data": r["state_data"],
            }
            for r in chunk
        ]
        session.execute(_insert(session, FlowRunState).on_conflict_do_nothing(), states)
    return inserted
