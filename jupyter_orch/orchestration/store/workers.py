"""Workers: registration and heartbeats, and claiming due runs from a pool.

A claim proposes PENDING for each candidate through `set_flow_run_state`, so the orchestration
rules (one claimant wins, never before the scheduled time) hold for workers as for anyone. Pool,
queue and deployment concurrency limits are counted inside the same transaction, which is
serialized per pool (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite) so two workers never
overshoot a limit together.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Deployment, FlowRun, Worker, WorkPool, new_id, utcnow
from jupyter_orch.orchestration import claim_plan, rules
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store.flow_runs import set_flow_run_states
from jupyter_orch.orchestration.store.upsert import upsert
from jupyter_orch.orchestration.store.work_pools import DEFAULT_QUEUE, list_queues, read_work_pool
from jupyter_orch.states import Pending

ACTIVE_TYPES = ("PENDING", "RUNNING", "CANCELLING")
#: a worker is shown OFFLINE after this many seconds without a heartbeat
WORKER_OFFLINE_AFTER = 60.0


def worker_heartbeat(
    session: Session,
    pool_name: str,
    name: str,
    running_flow_run_ids: list[str] | None = None,
    hostname: str | None = None,
    pid: int | None = None,
) -> dict[str, str]:
    """Record that a worker is alive and so are its runs; answer each run's current state type.

    The worker kills a run it is told is CANCELLING (or already final: e.g. marked Crashed). Only
    the runs it still holds are kept alive: one claimed since by another worker is not (see below).
    """
    pool = read_work_pool(session, pool_name)
    now = utcnow()
    session.execute(
        upsert(
            session, Worker, ["work_pool_id", "name"], ["last_heartbeat_time", "status", "hostname", "pid"]
        ),
        [
            {
                "id": new_id(),
                "work_pool_id": pool.id,
                "name": name,
                "hostname": hostname,
                "pid": pid,
                "status": "ONLINE",
                "last_heartbeat_time": now,
                "created": now,
                "updated": now,
            }
        ],
    )
    ids = list(running_flow_run_ids or [])
    if not ids:
        return {}
    mine = or_(FlowRun.worker_name == name, FlowRun.worker_name.is_(None))
    session.execute(update(FlowRun).where(FlowRun.id.in_(ids), mine).values(last_heartbeat=now))
    rows = session.execute(
        select(FlowRun.id, FlowRun.state_type, FlowRun.worker_name).where(FlowRun.id.in_(ids))
    )
    # a run another worker holds now (this one was cut off, its run marked Crashed and retried
    # there) is answered CRASHED: this worker's attempt is over and its process is killed
    return {run_id: state if owner in (None, name) else "CRASHED" for run_id, state, owner in rows}


def list_workers(session: Session, work_pool_name: str | None = None) -> list[dict[str, Any]]:
    stmt = select(Worker, WorkPool.name).join(WorkPool, WorkPool.id == Worker.work_pool_id)
    if work_pool_name:
        stmt = stmt.where(WorkPool.name == work_pool_name)
    cutoff = utcnow() - timedelta(seconds=WORKER_OFFLINE_AFTER)
    out = []
    for worker, pool_name in session.execute(stmt.order_by(Worker.name)):
        d = row_to_dict(worker)
        d["work_pool_name"] = pool_name
        d["status"] = "ONLINE" if worker.last_heartbeat_time >= cutoff else "OFFLINE"
        out.append(d)
    return out


def _lock_pool(session: Session, pool: WorkPool) -> bool:
    """Lock the pool's row (PostgreSQL; SQLite has one writer anyway); whether it is paused, read
    after the lock, so a pause committed while this claim waited for the lock is seen
    (`work_pools.hand_back_claims`)."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(WorkPool.is_paused).where(WorkPool.id == pool.id).with_for_update()
        return bool(session.execute(stmt).scalar_one())
    return bool(pool.is_paused)


def get_scheduled_flow_runs(
    session: Session,
    pool_name: str,
    worker_name: str | None = None,
    limit: int | None = 10,
    scheduled_before: datetime | None = None,
    work_queue_names: list[str] | None = None,
    deployment_ids: list[str] | None = None,
) -> list[FlowRun]:
    """Claim due SCHEDULED runs of a pool (queue priority, then time) within concurrency limits.

    With `scheduled_before` in the future, runs due by then are claimed ahead: their PENDING
    carries their scheduled time (see `rules.WaitForScheduledTime`), and the worker starts each at
    that time. The rules bound how far ahead (`CLAIM_AHEAD_SECONDS`); later runs are skipped.
    What to take is `claim_plan`'s decision; this function reads and writes.
    """
    pool = read_work_pool(session, pool_name, field="work_pool_name")
    if pool.is_paused or _lock_pool(session, pool):
        return []
    queues = claim_plan.open_queues(list_queues(session, pool_name), work_queue_names)
    if not queues:
        return []
    active = _active_counts(session, pool_name)
    limit = claim_plan.claim_limit(limit, pool.concurrency_limit, active["pool"])
    if limit == 0:
        return []
    now = utcnow()
    priority = {q.name: q.priority for q in queues}
    candidates = _candidates(session, pool_name, priority, scheduled_before or now, limit, deployment_ids)
    dep_limits = _deployment_limits(session, {c.deployment_id for c in candidates if c.deployment_id})
    plan = claim_plan.ClaimPlan(limit, claim_plan.queue_limits(queues), dep_limits, active, now)
    claimed = _claim(session, plan, [claim_plan.Candidate.of(run) for run in candidates])
    return _assign(session, claimed, worker_name) if claimed else []


def _claim(session: Session, plan: claim_plan.ClaimPlan, left: list[claim_plan.Candidate]) -> list[str]:
    """Propose PENDING for the plan's picks in one bulk transition per round (each judged by the
    rules: one claimant wins, never too early); a refused pick frees its slot for the next round.
    The ids claimed (the bulk transition expires the ORM objects)."""
    claimed: list[str] = []
    while left and len(claimed) < plan.limit:
        picked, left = plan.pick(left, len(claimed))
        if not picked:
            break
        answers = set_flow_run_states(session, [(p.run_id, _pending(p)) for p in picked])
        for p in picked:
            if answers[p.run_id].status == rules.ACCEPT:
                claimed.append(p.run_id)
            else:
                plan.refused(p)
    return claimed


def _pending(pick: claim_plan.Pick) -> Pending:
    """A pick's PENDING: a run claimed ahead carries the time it is to start at."""
    return Pending(scheduled_time=pick.start_at) if pick.start_at else Pending()


def _assign(session: Session, ids: list[str], worker_name: str | None) -> list[FlowRun]:
    """The claimed runs, fresh, marked with the worker that holds them."""
    if worker_name:
        session.execute(
            update(FlowRun)
            .where(FlowRun.id.in_(ids))
            .values(worker_name=worker_name)
            .execution_options(synchronize_session=False)
        )
    fresh = {
        run.id: run
        for run in session.scalars(
            select(FlowRun).where(FlowRun.id.in_(ids)).execution_options(populate_existing=True)
        )
    }
    return [fresh[i] for i in ids]


def _active_counts(session: Session, pool_name: str) -> Counter:
    stmt = (
        select(FlowRun.work_queue_name, FlowRun.deployment_id, func.count())
        .where(FlowRun.work_pool_name == pool_name, FlowRun.state_type.in_(ACTIVE_TYPES))
        .group_by(FlowRun.work_queue_name, FlowRun.deployment_id)
    )
    counts: Counter = Counter()
    for queue, deployment_id, n in session.execute(stmt):
        counts["pool"] += n
        counts["queue", queue or DEFAULT_QUEUE] += n
        counts["deployment", deployment_id] += n
    return counts


def _deployment_limits(session: Session, ids: set[str]) -> dict[str, int]:
    if not ids:
        return {}
    stmt = select(Deployment.id, Deployment.concurrency_limit).where(
        Deployment.id.in_(ids), Deployment.concurrency_limit.is_not(None)
    )
    return dict(session.execute(stmt).all())


def _candidates(
    session: Session,
    pool_name: str,
    priority: dict[str, int],
    before: datetime,
    limit: int,
    deployment_ids: list[str] | None,
) -> list[FlowRun]:
    queue_names = list(priority)
    queue_cond = FlowRun.work_queue_name.in_(queue_names)
    if DEFAULT_QUEUE in priority:
        queue_cond = or_(queue_cond, FlowRun.work_queue_name.is_(None))
    stmt = select(FlowRun).where(
        FlowRun.work_pool_name == pool_name,
        FlowRun.state_type == "SCHEDULED",
        FlowRun.next_scheduled_start_time <= before,
        queue_cond,
    )
    if deployment_ids:
        stmt = stmt.where(FlowRun.deployment_id.in_(deployment_ids))
    stmt = stmt.order_by(FlowRun.next_scheduled_start_time).limit(claim_plan.fetch_size(limit))
    rows = session.scalars(stmt)
    return claim_plan.by_priority(list(rows), priority)
