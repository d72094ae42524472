"""The tables of flows and their runs: flow and task runs, their state histories, task run edges,
logs, artifacts, pause/resume inputs and the ids of engine batches already applied.

Every list or filter query the API offers has an index here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_orch.db.models.columns import (
    ID,
    Base,
    JSONType,
    StateColumnsMixin,
    StateHistoryMixin,
    Timestamp,
    TimestampMixin,
    new_id,
    sparse_index,
    utcnow,
)


class Flow(TimestampMixin, Base):
    __tablename__ = "flows"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    tags: Mapped[Any] = mapped_column(JSONType, default=list, nullable=False)
    parameter_schema: Mapped[Any] = mapped_column(JSONType, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class FlowRun(TimestampMixin, StateColumnsMixin, Base):
    __tablename__ = "flow_runs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    flow_id: Mapped[str] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), nullable=False)
    flow_name: Mapped[str] = mapped_column(String(255), nullable=False)
    # the version of the flow the run runs (the @flow's version, else its source file's hash)
    flow_version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    deployment_id: Mapped[str | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="SET NULL"), nullable=True
    )
    deployment_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    parent_task_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    parent_flow_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    parameters: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    expected_start_time: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    next_scheduled_start_time: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    auto_scheduled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    schedule_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    work_pool_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    work_queue_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    worker_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    infrastructure_pid: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_heartbeat: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    # retries/retry_delay the run was created with, so a server can retry a crashed run
    empirical_policy: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    # per-cell progress of a notebook run: {"cell": n, "cells": m, ...}
    progress: Mapped[Any] = mapped_column(JSONType, nullable=True)
    output_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_variables: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)

    __table_args__ = (
        UniqueConstraint("deployment_id", "idempotency_key", name="uq_flow_runs_deployment_idempotency"),
        # start_time too: the upcoming runs' filter reads it from the index, not the table (0013)
        Index("ix_flow_runs_state_expected", "state_type", "expected_start_time", "start_time"),
        Index("ix_flow_runs_flow_id_created", "flow_id", "created"),
        Index("ix_flow_runs_flow_name", "flow_name"),
        sparse_index("ix_flow_runs_deployment_expected", "deployment_id", "expected_start_time"),
        Index("ix_flow_runs_created_id", "created", "id"),
        Index("ix_flow_runs_start_time", "start_time"),
        Index("ix_flow_runs_name", "name"),
        sparse_index("ix_flow_runs_parent_task_run", "parent_task_run_id"),
        sparse_index("ix_flow_runs_parent_flow_run", "parent_flow_run_id"),
        Index("ix_flow_runs_expected_start", "expected_start_time"),
        sparse_index(
            "ix_flow_runs_pool_state_next", "work_pool_name", "state_type", "next_scheduled_start_time"
        ),
        Index("ix_flow_runs_state_heartbeat", "state_type", "last_heartbeat"),
    )


class FlowRunState(StateHistoryMixin, Base):
    __tablename__ = "flow_run_states"

    flow_run_id: Mapped[str] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False)

    __table_args__ = (Index("ix_flow_run_states_run_ts", "flow_run_id", "timestamp"),)


class TaskRun(TimestampMixin, StateColumnsMixin, Base):
    __tablename__ = "task_runs"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    task_key: Mapped[str] = mapped_column(String(255), nullable=False)
    task_version: Mapped[str | None] = mapped_column(String(255), nullable=True)
    dynamic_key: Mapped[str] = mapped_column(String(64), nullable=False, default="0")
    flow_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=True
    )
    cache_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    cache_expiration: Mapped[datetime | None] = mapped_column(Timestamp(), nullable=True)
    task_inputs: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)
    empirical_policy: Mapped[Any] = mapped_column(JSONType, default=dict, nullable=False)

    __table_args__ = (
        Index("ix_task_runs_flow_run_created", "flow_run_id", "created"),
        # partial: most task runs have no cache key, and their inserts then skip this index
        Index(
            "ix_task_runs_cache_key",
            "cache_key",
            "cache_expiration",
            sqlite_where=text("cache_key IS NOT NULL"),
            postgresql_where=text("cache_key IS NOT NULL"),
        ),
        Index("ix_task_runs_state_type", "state_type"),
        Index("ix_task_runs_created_id", "created", "id"),
        Index("ix_task_runs_name", "name"),
    )


class TaskRunState(StateHistoryMixin, Base):
    __tablename__ = "task_run_states"

    task_run_id: Mapped[str] = mapped_column(ForeignKey("task_runs.id", ondelete="CASCADE"), nullable=False)

    __table_args__ = (Index("ix_task_run_states_run_ts", "task_run_id", "timestamp"),)


class TaskRunEdge(Base):
    """A dependency between two task runs: `data` (an argument) or `wait_for`."""

    __tablename__ = "task_run_edges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_run_id: Mapped[str] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False)
    upstream_id: Mapped[str] = mapped_column(ID, nullable=False)
    downstream_id: Mapped[str] = mapped_column(ID, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="data")

    __table_args__ = (
        Index("ix_task_run_edges_flow_run", "flow_run_id"),
        Index("ix_task_run_edges_downstream", "downstream_id"),
    )


class Log(Base):
    __tablename__ = "logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    task_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="jupyter_orch")
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    timestamp: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_logs_flow_run_ts", "flow_run_id", "timestamp", "id"),
        Index("ix_logs_task_run_ts", "task_run_id", "timestamp"),
    )


class Artifact(Base):
    __tablename__ = "artifacts"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[Any] = mapped_column(JSONType, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    flow_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    task_run_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    created: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)

    __table_args__ = (
        Index("ix_artifacts_key_created", "key", "created"),
        Index("ix_artifacts_flow_run", "flow_run_id"),
        Index("ix_artifacts_created_id", "created", "id"),
    )


class AppliedBatch(Base):
    """The id of an engine batch (POST /task_runs/batch) already written: a replay is skipped.

    Rows older than a day are pruned now and then; a client retries a lost response within
    seconds or minutes, never a day later.
    """

    __tablename__ = "applied_batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)

    __table_args__ = (Index("ix_applied_batches_applied_at", "applied_at"),)


class FlowRunInput(Base):
    """A value sent to a flow run by key: a pause's input schema (`<key>-schema`) and the input a
    resume gave it (`<key>-response`), as Prefect's flow run inputs."""

    __tablename__ = "flow_run_inputs"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    flow_run_id: Mapped[str] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    sender: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("flow_run_id", "key", name="uq_flow_run_inputs_run_key"),)
