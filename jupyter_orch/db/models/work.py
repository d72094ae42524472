"""The tables of where runs run and how many at once: work pools, queues, workers, concurrency
limits and held slots, and the leases that let one server hold a service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_orch.db.models.columns import ID, Base, JSONType, Timestamp, TimestampMixin, new_id, utcnow


class WorkPool(TimestampMixin, Base):
    __tablename__ = "work_pools"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(64), nullable=False, default="process")
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    base_job_template: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)


class WorkQueue(TimestampMixin, Base):
    __tablename__ = "work_queues"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    work_pool_id: Mapped[str] = mapped_column(ForeignKey("work_pools.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    __table_args__ = (UniqueConstraint("work_pool_id", "name", name="uq_work_queues_pool_name"),)


class Worker(TimestampMixin, Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    work_pool_id: Mapped[str] = mapped_column(ForeignKey("work_pools.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    hostname: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="ONLINE")
    last_heartbeat_time: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("work_pool_id", "name", name="uq_workers_pool_name"),
        Index("ix_workers_heartbeat", "last_heartbeat_time"),
    )


class ConcurrencyLimit(TimestampMixin, Base):
    """A limit on how many task runs carrying `tag` run at once."""

    __tablename__ = "concurrency_limits"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    tag: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    concurrency_limit: Mapped[int] = mapped_column(Integer, nullable=False)


class GlobalConcurrencyLimit(Base):
    """A named limit that any code holds slots of (Prefect's global concurrency limit, v2): a
    counter of `active_slots` out of `limit`; with `slot_decay_per_second` slots free themselves
    over time (a rate limit); an inactive limit never makes anyone wait."""

    __tablename__ = "global_concurrency_limits"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    limit: Mapped[int] = mapped_column(Integer, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    active_slots: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    denied_slots: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    slot_decay_per_second: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    avg_slot_occupancy_seconds: Mapped[float] = mapped_column(Float, nullable=False, default=2.0)
    created: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)
    #: set by the store only (no onupdate): a rate limit's slots decay from this time
    updated: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)


class ConcurrencySlot(Base):
    """One held slot: of a tag limit, a work pool, a queue or a deployment (by `scope` and `key`)."""

    __tablename__ = "concurrency_slots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)  # tag | pool | queue | deployment
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    holder_id: Mapped[str] = mapped_column(ID, nullable=False)  # a task run or flow run id
    acquired: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("scope", "key", "holder_id", name="uq_concurrency_slots_holder"),
        Index("ix_concurrency_slots_holder", "holder_id"),
    )


class Lease(Base):
    """A named lease (e.g. "scheduler"): exactly one server holds it until it stops renewing."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False)
