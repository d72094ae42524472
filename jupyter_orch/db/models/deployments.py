"""The tables of deployments and their schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_orch.db.models.columns import ID, Base, JSONType, Timestamp, TimestampMixin, new_id


class Deployment(TimestampMixin, Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    flow_id: Mapped[str] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), nullable=False)
    flow_name: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "python" (a flow function in a file) or "notebook" (papermill)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="python")
    entrypoint: Mapped[str | None] = mapped_column(Text, nullable=True)  # "path.py:flow_fn" or "nb.ipynb"
    path: Mapped[str | None] = mapped_column(Text, nullable=True)  # working directory
    # where the code comes from: {"snapshot": location} or {"live": true}; cell deployments note the cells
    storage: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    parameters: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    parameter_openapi_schema: Mapped[Any] = mapped_column(JSONType, nullable=True)
    tags: Mapped[Any] = mapped_column(JSONType, default=list, nullable=False)
    work_pool_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    work_queue_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # what to do with runs missed while no scheduler ran: "skip" | "once" | "all"
    catchup: Mapped[str] = mapped_column(String(8), nullable=False, default="skip")
    job_variables: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    empirical_policy: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    last_scheduled_time: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)

    __table_args__ = (
        UniqueConstraint("flow_id", "name", name="uq_deployments_flow_name"),
        Index("ix_deployments_name", "name"),
        Index("ix_deployments_flow_name", "flow_name"),
        Index("ix_deployments_paused", "paused"),
        Index("ix_deployments_created_id", "created", "id"),
    )


class DeploymentSchedule(TimestampMixin, Base):
    __tablename__ = "deployment_schedules"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), nullable=False
    )
    # {"cron": "0 * * * *", "timezone": "Europe/Paris"} or {"interval": 3600, "anchor_date": ISO, "timezone"}
    schedule: Mapped[Any] = mapped_column(JSONType, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # the last slot the scheduler has created runs up to (exclusive)
    scheduled_until: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)

    __table_args__ = (Index("ix_deployment_schedules_deployment", "deployment_id", "active"),)
