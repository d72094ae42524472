"""Named leases: exactly one server holds e.g. the "scheduler" lease until it stops renewing it.

Both operations are single conditional statements, so two servers racing on one database (SQLite
serializes writers; PostgreSQL re-checks the WHERE clause after the row lock) see one winner.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Lease, utcnow
from jupyter_orch.orchestration.store.upsert import insert_ignore


def acquire_lease(session: Session, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take or renew the lease for `ttl_seconds`; True if `holder` holds it afterwards."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl_seconds)
    inserted = session.execute(
        insert_ignore(session, Lease, ["name"]), [{"name": name, "holder": holder, "expires_at": expires}]
    )
    if inserted.rowcount == 1:
        return True
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
        .values(holder=holder, expires_at=expires)
    )
    return result.rowcount == 1


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), so another server need not wait for expiry."""
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def lease_holder(session: Session, name: str) -> str | None:
    row = session.scalars(select(Lease).where(Lease.name == name, Lease.expires_at >= utcnow())).first()
    return row.holder if row else None
