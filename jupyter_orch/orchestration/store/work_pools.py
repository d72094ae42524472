"""Work pools and their queues: where deployments send runs and workers claim them.

A pool always has a queue named "default"; the pool named "default" is created on first use so a
fresh install runs deployments with no set-up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import FlowRun, WorkPool, WorkQueue, new_id, utcnow
from jupyter_orch.orchestration.claim_plan import DEFAULT_QUEUE
from jupyter_orch.orchestration.errors import Conflict, Invalid, NotFound
from jupyter_orch.orchestration.serialize import row_to_dict, state_of
from jupyter_orch.orchestration.store.flow_runs import set_flow_run_states
from jupyter_orch.orchestration.store.query import check_choice, check_non_empty
from jupyter_orch.orchestration.store.upsert import insert_ignore
from jupyter_orch.states import Scheduled

DEFAULT_POOL = "default"
POOL_TYPES = ("process",)


def _check_limit(value: Any, field: str = "concurrency_limit") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"{field} must be a non-negative integer or null", field=field)
    return value


def ensure_default_pool(session: Session) -> WorkPool:
    """The "default" pool, created (race-free) if missing."""
    pool = session.scalars(select(WorkPool).where(WorkPool.name == DEFAULT_POOL)).first()
    if pool is not None:
        return pool
    now = utcnow()
    session.execute(
        insert_ignore(session, WorkPool, ["name"]),
        [
            {
                "id": new_id(),
                "name": DEFAULT_POOL,
                "type": "process",
                "is_paused": False,
                "base_job_template": {},
                "created": now,
                "updated": now,
                "description": "Created automatically: runs deployments that name no pool",
            }
        ],
    )
    pool = session.scalars(select(WorkPool).where(WorkPool.name == DEFAULT_POOL)).one()
    _ensure_default_queue(session, pool)
    return pool


def _ensure_default_queue(session: Session, pool: WorkPool) -> None:
    """Create the pool's default queue if missing. Reads first: GETs run in read transactions,
    and on SQLite a write there fails with "database is locked" while another process writes."""
    exists = session.scalars(
        select(WorkQueue.id).where(WorkQueue.work_pool_id == pool.id, WorkQueue.name == DEFAULT_QUEUE)
    ).first()
    if exists is not None:
        return
    now = utcnow()
    session.execute(
        insert_ignore(session, WorkQueue, ["work_pool_id", "name"]),
        [
            {
                "id": new_id(),
                "work_pool_id": pool.id,
                "name": DEFAULT_QUEUE,
                "priority": 1,
                "is_paused": False,
                "created": now,
                "updated": now,
            }
        ],
    )


def create_work_pool(
    session: Session,
    name: str,
    type: str = "process",
    description: str | None = None,
    concurrency_limit: int | None = None,
    is_paused: bool = False,
) -> WorkPool:
    name = check_non_empty(name, "name", slash=False).strip()
    check_choice(type, POOL_TYPES, "type")
    if session.scalars(select(WorkPool).where(WorkPool.name == name)).first() is not None:
        raise Conflict(f"a work pool named {name!r} already exists", field="name")
    pool = WorkPool(
        id=new_id(),
        name=name,
        type=type,
        description=description,
        concurrency_limit=_check_limit(concurrency_limit),
        is_paused=bool(is_paused),
        base_job_template={},
    )
    session.add(pool)
    session.flush()
    _ensure_default_queue(session, pool)
    return pool


def read_work_pool(session: Session, name: str, field: str | None = None) -> WorkPool:
    """The pool named `name`; with `field`, an unknown pool is a 422 on that field (not a 404)."""
    if name == DEFAULT_POOL:
        return ensure_default_pool(session)
    pool = session.scalars(select(WorkPool).where(WorkPool.name == name)).first()
    if pool is None:
        known = ", ".join(session.scalars(select(WorkPool.name).order_by(WorkPool.name))) or "none"
        msg = f"unknown work pool {name!r} (known pools: {known})"
        raise Invalid(msg, field=field) if field else NotFound(msg, field="name")
    return pool


def list_work_pools(session: Session) -> list[WorkPool]:
    ensure_default_pool(session)
    return list(session.scalars(select(WorkPool).order_by(WorkPool.name)))


def update_work_pool(session: Session, name: str, **fields: Any) -> WorkPool:
    pool = read_work_pool(session, name)
    pausing = False
    for key, value in fields.items():
        if key == "concurrency_limit":
            pool.concurrency_limit = _check_limit(value)
        elif key == "is_paused":
            pausing = bool(value) and not pool.is_paused
            pool.is_paused = bool(value)
        elif key == "description":
            pool.description = value
        else:
            raise Invalid(f"{key} cannot be changed", field=key)
    pool.updated = utcnow()
    if pausing:
        hand_back_claims(session, pool.name, reason=f"work pool {pool.name!r} paused")
    return pool


def hand_back_claims(
    session: Session, pool_name: str, queue_name: str | None = None, reason: str = ""
) -> int:
    """A pool (or queue) paused: its runs claimed and not started (PENDING) go back to SCHEDULED at
    the time they were due, to be claimed again once it is resumed; the number handed back.

    The change is flushed and the pool's row locked first (PostgreSQL) until commit, so a claim in
    progress (which locks the row before it reads the pool's and queues' pause) either committed
    before, and its runs are handed back here, or waits and then finds them paused. A worker holding a run
    handed back learns it at its next heartbeat, or when it proposes RUNNING: the start is a
    compare-and-set on the claim, and SCHEDULED → RUNNING is refused.
    """
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(WorkPool.id).where(WorkPool.name == pool_name).with_for_update()).all()
    stmt = select(FlowRun).where(FlowRun.work_pool_name == pool_name, FlowRun.state_type == "PENDING")
    if queue_name == DEFAULT_QUEUE:
        stmt = stmt.where(or_(FlowRun.work_queue_name == queue_name, FlowRun.work_queue_name.is_(None)))
    elif queue_name is not None:
        stmt = stmt.where(FlowRun.work_queue_name == queue_name)
    now = utcnow()
    proposals = []
    for run in session.scalars(stmt):
        claim = state_of(run)
        when = (claim.scheduled_time if claim is not None else None) or now
        proposals.append((run.id, Scheduled(scheduled_time=max(when, now), message=f"handed back: {reason}")))
    answers = set_flow_run_states(session, proposals) if proposals else {}
    return sum(1 for d in answers.values() if d.status == "ACCEPT")


def delete_work_pool(session: Session, name: str) -> None:
    session.delete(read_work_pool(session, name))


# -- queues ----------------------------------------------------------------------------------------
def list_queues(session: Session, pool_name: str) -> list[WorkQueue]:
    pool = read_work_pool(session, pool_name)
    _ensure_default_queue(session, pool)
    stmt = select(WorkQueue).where(WorkQueue.work_pool_id == pool.id)
    return list(session.scalars(stmt.order_by(WorkQueue.priority, WorkQueue.name)))


def read_queue(session: Session, pool_name: str, queue_name: str, field: str | None = None) -> WorkQueue:
    pool = read_work_pool(session, pool_name, field="work_pool_name" if field else None)
    if queue_name == DEFAULT_QUEUE:
        _ensure_default_queue(session, pool)
    queue = session.scalars(
        select(WorkQueue).where(WorkQueue.work_pool_id == pool.id, WorkQueue.name == queue_name)
    ).first()
    if queue is None:
        msg = f"work pool {pool_name!r} has no queue {queue_name!r}"
        raise Invalid(msg, field=field) if field else NotFound(msg, field="queue")
    return queue


def create_queue(
    session: Session,
    pool_name: str,
    name: str,
    priority: int = 1,
    concurrency_limit: int | None = None,
    is_paused: bool = False,
) -> WorkQueue:
    pool = read_work_pool(session, pool_name)
    name = check_non_empty(name, "name", slash=False).strip()
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 1:
        raise Invalid("priority must be an integer >= 1 (1 is served first)", field="priority")
    exists = session.scalars(
        select(WorkQueue).where(WorkQueue.work_pool_id == pool.id, WorkQueue.name == name)
    ).first()
    if exists is not None:
        raise Conflict(f"work pool {pool_name!r} already has a queue {name!r}", field="name")
    queue = WorkQueue(
        id=new_id(),
        work_pool_id=pool.id,
        name=name,
        priority=priority,
        concurrency_limit=_check_limit(concurrency_limit),
        is_paused=bool(is_paused),
    )
    session.add(queue)
    session.flush()
    return queue


def update_queue(session: Session, pool_name: str, queue_name: str, **fields: Any) -> WorkQueue:
    queue = read_queue(session, pool_name, queue_name)
    pausing = bool(fields.get("is_paused")) and not queue.is_paused
    for key, value in fields.items():
        if key == "priority":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise Invalid("priority must be an integer >= 1", field="priority")
            queue.priority = value
        elif key == "concurrency_limit":
            queue.concurrency_limit = _check_limit(value)
        elif key == "is_paused":
            queue.is_paused = bool(value)
        else:
            raise Invalid(f"{key} cannot be changed", field=key)
    queue.updated = utcnow()
    if pausing:
        hand_back_claims(session, pool_name, queue_name, reason=f"work queue {queue_name!r} paused")
    return queue


def delete_queue(session: Session, pool_name: str, queue_name: str) -> None:
    if queue_name == DEFAULT_QUEUE:
        raise Invalid("the default queue cannot be deleted", field="queue")
    session.delete(read_queue(session, pool_name, queue_name))


def pool_to_dict(session: Session, pool: WorkPool) -> dict[str, Any]:
    out = row_to_dict(pool)
    out["status"] = "PAUSED" if pool.is_paused else "READY"
    out["queues"] = [row_to_dict(q) for q in list_queues(session, pool.name)]
    return out
