"""Global concurrency limits (Prefect's v2 limits): named counters of slots any code holds.

A limit has `limit` slots; `active_slots` are taken. Taking slots of several limits is all or
nothing, serialized per limit (PostgreSQL locks the rows FOR UPDATE, SQLite's BEGIN IMMEDIATE
already serializes writers). A limit with `slot_decay_per_second` is a rate limit: its slots free
themselves at that rate (computed from the time of the last change, when it is next read or
taken), and `rate_limit` never gives them back. An inactive limit never makes anyone wait; a name
without a limit is left to the caller (it waits for nothing unless it asked to be strict).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import GlobalConcurrencyLimit, new_id, utcnow
from jupyter_orch.orchestration.errors import Conflict, Invalid
from jupyter_orch.orchestration.store.query import check_non_empty, found

#: what a limit's fields may be changed to
FIELDS = ("name", "limit", "active", "active_slots", "denied_slots", "slot_decay_per_second")
_FORBIDDEN = set("/%&><")


def _check(fields: dict[str, Any]) -> None:
    if "name" in fields:
        name = check_non_empty(fields["name"], "name")
        if _FORBIDDEN & set(name):
            raise Invalid("name must not contain any of / % & > <", field="name")
    for key in ("limit", "active_slots", "denied_slots"):
        value = fields.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise Invalid(f"{key} must be a non-negative integer", field=key)
    decay = fields.get("slot_decay_per_second")
    if decay is not None and (not isinstance(decay, (int, float)) or decay < 0 or not math.isfinite(decay)):
        raise Invalid("slot_decay_per_second must be a non-negative number", field="slot_decay_per_second")


def _decayed(row: GlobalConcurrencyLimit, now: datetime | None = None) -> int:
    """The slots a rate limit still holds at `now` (slots free themselves at its decay rate)."""
    if row.slot_decay_per_second <= 0 or row.active_slots <= 0:
        return row.active_slots
    elapsed = ((now or utcnow()) - row.updated).total_seconds()
    return max(0, row.active_slots - int(elapsed * row.slot_decay_per_second))


def _apply_decay(row: GlobalConcurrencyLimit, now: datetime) -> None:
    """Make the decay so far part of the row; the clock moves only by the whole slots freed."""
    held = _decayed(row, now)
    freed = row.active_slots - held
    if held == 0:
        row.updated = now
    elif freed:
        row.updated = row.updated + timedelta(seconds=freed / row.slot_decay_per_second)
    row.active_slots = held


def to_dict(row: GlobalConcurrencyLimit) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "limit": row.limit,
        "active": row.active,
        "active_slots": _decayed(row),
        "denied_slots": row.denied_slots,
        "slot_decay_per_second": row.slot_decay_per_second,
        "avg_slot_occupancy_seconds": row.avg_slot_occupancy_seconds,
        "created": row.created.isoformat(),
        "updated": row.updated.isoformat(),
    }


def create(session: Session, fields: dict[str, Any]) -> GlobalConcurrencyLimit:
    """A new limit; Conflict if one has that name."""
    _check(fields)
    if session.scalars(
        select(GlobalConcurrencyLimit.id).where(GlobalConcurrencyLimit.name == fields["name"])
    ).first():
        raise Conflict(f"a global concurrency limit named {fields['name']!r} exists", field="name")
    row = GlobalConcurrencyLimit(
        id=new_id(),
        name=fields["name"],
        limit=fields["limit"],
        active=fields.get("active", True),
        active_slots=fields.get("active_slots", 0),
        denied_slots=fields.get("denied_slots", 0),
        slot_decay_per_second=float(fields.get("slot_decay_per_second") or 0.0),
        avg_slot_occupancy_seconds=2.0,
    )
    session.add(row)
    session.flush()
    return row


def read(session: Session, name_or_id: str) -> GlobalConcurrencyLimit:
    """By name, else by id; NotFound when neither names one."""
    row = session.scalars(
        select(GlobalConcurrencyLimit).where(GlobalConcurrencyLimit.name == name_or_id)
    ).first()
    if row is None:
        row = session.get(GlobalConcurrencyLimit, name_or_id)
    return found(row, f"no global concurrency limit {name_or_id!r}", "name")


def list_limits(session: Session, limit: int, offset: int) -> list[GlobalConcurrencyLimit]:
    stmt = select(GlobalConcurrencyLimit).order_by(GlobalConcurrencyLimit.name).offset(offset).limit(limit)
    return list(session.scalars(stmt))


def update(session: Session, name_or_id: str, fields: dict[str, Any]) -> GlobalConcurrencyLimit:
    _check(fields)
    row = read(session, name_or_id)
    now = utcnow()
    _apply_decay(row, now)  # the decay so far counts before the change
    for key, value in fields.items():
        setattr(row, key, float(value) if key == "slot_decay_per_second" else value)
    if "active_slots" in fields:
        row.updated = now
    session.flush()
    return row


def delete(session: Session, name_or_id: str) -> None:
    session.delete(read(session, name_or_id))


def _locked(session: Session, names: Iterable[str]) -> list[GlobalConcurrencyLimit]:
    stmt = select(GlobalConcurrencyLimit).where(GlobalConcurrencyLimit.name.in_(sorted(set(names))))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.order_by(GlobalConcurrencyLimit.name).with_for_update()  # fixed order: no deadlock
    return list(session.scalars(stmt))


def increment(session: Session, names: list[str], slots: int, mode: str) -> tuple[bool, list[dict[str, Any]]]:
    """Take `slots` of every active limit among `names` (all or none): (taken, the limits named
    that exist). A refusal counts the slots as denied; `mode="rate_limit"` needs a decay rate."""
    rows = _locked(session, names)
    now = utcnow()
    if mode == "rate_limit":
        slow = [r.name for r in rows if r.active and r.slot_decay_per_second <= 0]
        if slow:
            raise Invalid(f"rate limits need slot_decay_per_second > 0: {slow}", field="names")
    active = [r for r in rows if r.active]
    for row in active:
        _apply_decay(row, now)
    if any(row.active_slots + slots > row.limit for row in active):
        for row in active:
            row.denied_slots += slots
        session.flush()
        return False, [to_dict(r) for r in rows]
    for row in active:
        row.active_slots += slots
    session.flush()
    return True, [to_dict(r) for r in rows]


def decrement(
    session: Session, names: list[str], slots: int, occupancy_seconds: float | None
) -> list[dict[str, Any]]:
    """Give back `slots` of every limit among `names`; `occupancy_seconds` (how long they were
    held) moves the limit's average occupancy."""
    rows = _locked(session, names)
    now = utcnow()
    for row in rows:
        _apply_decay(row, now)
        row.active_slots = max(0, row.active_slots - slots)
        if occupancy_seconds is not None and occupancy_seconds >= 0:
            row.avg_slot_occupancy_seconds = 0.8 * row.avg_slot_occupancy_seconds + 0.2 * occupancy_seconds
    session.flush()
    return [to_dict(r) for r in rows]
