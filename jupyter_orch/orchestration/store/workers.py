"""Workers: registration and heartbeats, and claiming due runs from a pool.

A claim proposes PENDING for each candidate through `set_flow_run_state`, so the orchestration
rules (one claimant wins, never before the scheduled time) hold for workers as for anyone. Pool,
queue and deployment concurrency limits are counted inside the same transaction, which is
serialized per pool (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite) so two workers never
overshoot a limit together.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Deployment, FlowRun, Worker, WorkPool, new_id, utcnow
from jupyter_orch.orchestration import rules
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

    The worker kills a run it is told is CANCELLING (or already final: e.g. marked Crashed).
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
    session.execute(update(FlowRun).where(FlowRun.id.in_(ids)).values(last_heartbeat=now))
    rows = session.execute(select(FlowRun.id, FlowRun.state_type).where(FlowRun.id.in_(ids)))
    return {run_id: state_type for run_id, state_type in rows}


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
    """
    pool = read_work_pool(session, pool_name, field="work_pool_name")
    if pool.is_paused or _lock_pool(session, pool):
        return []
    queues = [q for q in list_queues(session, pool_name) if not q.is_paused]
    if work_queue_names:
        queues = [q for q in queues if q.name in set(work_queue_names)]
    if not queues:
        return []
    limit = 10 if limit is None else max(0, int(limit))
    priority = {q.name: q.priority for q in queues}
    queue_limits = {q.name: q.concurrency_limit for q in queues if q.concurrency_limit is not None}
    active = _active_counts(session, pool_name)
    pool_free = None if pool.concurrency_limit is None else pool.concurrency_limit - active["pool"]
    if pool_free is not None:
        limit = min(limit, max(0, pool_free))
    if limit == 0:
        return []
    now = utcnow()
    candidates = _candidates(session, pool_name, priority, scheduled_before or now, limit, deployment_ids)
    dep_limits = _deployment_limits(session, {c.deployment_id for c in candidates if c.deployment_id})
    claimed: list[str] = []  # ids (the bulk transition expires the ORM objects)
    left = list(candidates)
    while left and len(claimed) < limit:
        # pick within the limits, then propose PENDING for all picked in one bulk transition (each
        # judged by the rules: one claimant wins, never too early); a refused pick frees its slot
        picked: list[tuple[str, str, str | None, Any]] = []  # (id, queue, deployment id, PENDING)
        rest: list[FlowRun] = []
        for run in left:
            if len(claimed) + len(picked) >= limit:
                rest.append(run)
                continue
            queue = run.work_queue_name or DEFAULT_QUEUE
            if queue in queue_limits and active["queue", queue] >= queue_limits[queue]:
                continue
            dep_limit = dep_limits.get(run.deployment_id)
            if dep_limit is not None and active["deployment", run.deployment_id] >= dep_limit:
                continue
            when = run.next_scheduled_start_time
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            # a run due later is claimed ahead: its PENDING carries the time it is to start at
            ahead = when is not None and when > now
            state = Pending(scheduled_time=when) if ahead else Pending()
            picked.append((run.id, queue, run.deployment_id, state))
            active["queue", queue] += 1
            active["deployment", run.deployment_id] += 1
        if not picked:
            break
        answers = set_flow_run_states(session, [(run_id, state) for run_id, _, _, state in picked])
        for run_id, queue, deployment_id, _ in picked:
            if answers[run_id].status == rules.ACCEPT:
                claimed.append(run_id)
            else:
                active["queue", queue] -= 1
                active["deployment", deployment_id] -= 1
        left = rest
    if not claimed:
        return []
    ids = claimed
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
    # over-fetch so runs held back by a queue or deployment limit leave room for others
    rows = list(session.scalars(stmt.order_by(FlowRun.next_scheduled_start_time).limit(limit * 4 + 10)))
    rows.sort(
        key=lambda r: (priority.get(r.work_queue_name or DEFAULT_QUEUE, 1), r.next_scheduled_start_time)
    )
    return rows
