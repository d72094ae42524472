"""The tables of what runs are told and given: notification policies and deliveries, variables,
secrets and storage configurations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_orch.db.models.columns import ID, Base, JSONType, Timestamp, TimestampMixin, new_id, utcnow


class NotificationPolicy(TimestampMixin, Base):
    __tablename__ = "notification_policies"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    state_names: Mapped[Any] = mapped_column(JSONType, default=list, nullable=False)
    tags: Mapped[Any] = mapped_column(JSONType, default=list, nullable=False)
    deployment_ids: Mapped[Any] = mapped_column(JSONType, default=list, nullable=False)
    # "webhook" | "slack" | "email" | "ui"
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    # channel settings: {"url": ...} or {"smtp_host", "smtp_port", "to", "from", ...}
    config: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    message_template: Mapped[str | None] = mapped_column(Text, nullable=True)


class NotificationDelivery(Base):
    """One notification to send (or shown in the UI); retried until sent or out of attempts."""

    __tablename__ = "notification_deliveries"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    policy_id: Mapped[str | None] = mapped_column(
        ForeignKey("notification_policies.id", ondelete="CASCADE"), nullable=True
    )
    flow_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    state_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="PENDING")  # PENDING|SENT|FAILED
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)
    created: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("policy_id", "state_id", name="uq_notification_deliveries_policy_state"),
        Index("ix_notification_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_channel_created", "channel", "created"),
    )


class Variable(TimestampMixin, Base):
    """A named JSON value flows read at run time (Prefect's variables)."""

    __tablename__ = "variables"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    tags: Mapped[Any] = mapped_column(JSONType, default=list, nullable=False)


class Secret(TimestampMixin, Base):
    """A named secret, stored only encrypted (Fernet); its value is read by name, never listed."""

    __tablename__ = "secrets"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    ciphertext: Mapped[str] = mapped_column(Text, nullable=False)


class StorageConfig(TimestampMixin, Base):
    """A named place for results and notebook outputs: an fsspec URL, options, and credentials
    (options a filesystem needs that are secret, stored encrypted like a Secret)."""

    __tablename__ = "storage_configs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    options: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    credentials: Mapped[str | None] = mapped_column(Text, nullable=True)  # encrypted JSON object
