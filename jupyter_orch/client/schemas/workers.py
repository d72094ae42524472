"""Prefect's worker and concurrency descriptions (`prefect.client.schemas.objects.Worker`,
`WorkerStatus`, `ConcurrencyLimitConfig`), for code that passes or reads them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from pydantic import BaseModel


class WorkerStatus(str, enum.Enum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


class Worker(BaseModel):
    """A worker of a work pool as the API describes it (`GET /workers`)."""

    name: str
    work_pool_id: uuid.UUID | None = None
    last_heartbeat_time: datetime | None = None
    status: WorkerStatus = WorkerStatus.OFFLINE


class ConcurrencyLimitConfig(BaseModel):
    """A deployment's concurrency limit: how many of its runs at once, and what happens to more
    (`ENQUEUE`: they wait; `CANCEL_NEW`: they are cancelled)."""

    limit: int
    collision_strategy: str = "ENQUEUE"


__all__ = ["ConcurrencyLimitConfig", "Worker", "WorkerStatus"]
