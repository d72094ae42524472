"""Concurrency limits on task-run tags, and the slots that hold them.

A slot is one row (scope, key, holder). Taking slots is all-or-nothing and serialized per limit:
PostgreSQL locks the limit rows FOR UPDATE, SQLite's BEGIN IMMEDIATE already serializes writers;
so N holders never exceed a limit of N whatever the number of processes. Slots are released when
their holder ends (for flow runs the state hook `state_hooks.ReleaseConcurrencySlots`, the engine
for task runs) and swept when a holder's flow run ended without releasing them (a crash).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import ConcurrencyLimit, ConcurrencySlot, FlowRun, TaskRun, new_id, utcnow
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store.query import check_non_empty, found
from jupyter_orch.orchestration.store.upsert import insert_ignore
from jupyter_orch.states import TERMINAL_STATES

TAG = "tag"
FINAL = [t.value for t in TERMINAL_STATES]


def create_limit(session: Session, tag: str, concurrency_limit: int) -> ConcurrencyLimit:
    """Create the limit for `tag`, or change it if it exists (Prefect's behaviour)."""
    check_non_empty(tag, "tag")
    if isinstance(concurrency_limit, bool) or not isinstance(concurrency_limit, int) or concurrency_limit < 0:
        raise Invalid("concurrency_limit must be a non-negative integer", field="concurrency_limit")
    row = session.scalars(select(ConcurrencyLimit).where(ConcurrencyLimit.tag == tag)).first()
    if row is None:
        row = ConcurrencyLimit(id=new_id(), tag=tag, concurrency_limit=concurrency_limit)
        session.add(row)
    else:
        row.concurrency_limit = concurrency_limit
        row.updated = utcnow()
    session.flush()
    return row


def list_limits(session: Session) -> list[dict]:
    """Each limit with the number of slots in use and the holders."""
    held: dict[str, list[str]] = {}
    for key, holder in session.execute(
        select(ConcurrencySlot.key, ConcurrencySlot.holder_id).where(ConcurrencySlot.scope == TAG)
    ):
        held.setdefault(key, []).append(holder)
    out = []
    for row in session.scalars(select(ConcurrencyLimit).order_by(ConcurrencyLimit.tag)):
        holders = held.get(row.tag, [])
        out.append(
            {
                "id": row.id,
                "tag": row.tag,
                "concurrency_limit": row.concurrency_limit,
                "active_slots": len(holders),
                "active_holders": holders,
                "created": row.created.isoformat(),
                "updated": row.updated.isoformat(),
            }
        )
    return out


def delete_limit(session: Session, tag: str) -> None:
    row = found(
        session.scalars(select(ConcurrencyLimit).where(ConcurrencyLimit.tag == tag)).first(),
        f"no concurrency limit on tag {tag!r}",
        "tag",
    )
    session.delete(row)
    session.execute(delete(ConcurrencySlot).where(ConcurrencySlot.scope == TAG, ConcurrencySlot.key == tag))


def limited_tags(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(ConcurrencyLimit.tag)))


def acquire_slots(session: Session, scope: str, keys_with_limits: Mapping[str, int], holder_id: str) -> bool:
    """Take one slot of every key for `holder_id`, or none if any key is full. Idempotent per holder."""
    if not keys_with_limits:
        return True
    keys = list(keys_with_limits)
    counts = dict(
        session.execute(
            select(ConcurrencySlot.key, func.count())
            .where(
                ConcurrencySlot.scope == scope,
                ConcurrencySlot.key.in_(keys),
                ConcurrencySlot.holder_id != holder_id,
            )
            .group_by(ConcurrencySlot.key)
        ).all()
    )
    if any(counts.get(k, 0) >= limit for k, limit in keys_with_limits.items()):
        return False
    now = utcnow()
    session.execute(
        insert_ignore(session, ConcurrencySlot, ["scope", "key", "holder_id"]),
        [{"scope": scope, "key": k, "holder_id": holder_id, "acquired": now} for k in keys],
    )
    return True


def acquire_tag_slots(session: Session, tags: list[str], holder_id: str) -> bool:
    """OrchClient.acquire_concurrency_slots: one slot of each limited tag among `tags`."""
    if not tags:
        return True
    stmt = select(ConcurrencyLimit.tag, ConcurrencyLimit.concurrency_limit).where(
        ConcurrencyLimit.tag.in_(list(tags))
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.order_by(ConcurrencyLimit.tag).with_for_update()  # fixed order: no deadlock
    limits = dict(session.execute(stmt).all())
    return acquire_slots(session, TAG, limits, holder_id)


def release_slots(session: Session, holder_id: str, scope: str | None = None) -> int:
    stmt = delete(ConcurrencySlot).where(ConcurrencySlot.holder_id == holder_id)
    if scope:
        stmt = stmt.where(ConcurrencySlot.scope == scope)
    return session.execute(stmt).rowcount or 0


def sweep_slots(session: Session) -> int:
    """Free slots whose holder (a task run or flow run) is finished or whose flow run is."""
    final_tasks = select(TaskRun.id).where(TaskRun.state_type.in_(FINAL))
    dead_flow_tasks = (
        select(TaskRun.id)
        .join(FlowRun, FlowRun.id == TaskRun.flow_run_id)
        .where(FlowRun.state_type.in_(FINAL))
    )
    final_flows = select(FlowRun.id).where(FlowRun.state_type.in_(FINAL))
    stmt = delete(ConcurrencySlot).where(
        or_(
            ConcurrencySlot.holder_id.in_(final_tasks),
            ConcurrencySlot.holder_id.in_(dead_flow_tasks),
            ConcurrencySlot.holder_id.in_(final_flows),
        )
    )
    return session.execute(stmt).rowcount or 0
