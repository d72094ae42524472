"""Prefect's `prefect.client.schemas.actions`: what creating a record takes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from jupyter_orch.client.schemas.artifacts import ArtifactCreate

__all__ = ["ArtifactCreate", "GlobalConcurrencyLimitCreate", "GlobalConcurrencyLimitUpdate", "LogCreate"]


class LogCreate(BaseModel):
    """One log line of a run as it is sent to the API (Prefect's `LogCreate`)."""

    name: str
    level: int
    message: str
    timestamp: datetime | None = None
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None

    @classmethod
    def construct(cls, **values: Any) -> LogCreate:  # type: ignore[override]
        """Build without validation (pydantic v1's name, which Prefect's tests use)."""
        return cls.model_construct(**values)

    def dict(self, *, json_compatible: bool = False, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """The fields; with `json_compatible=True`, ids and times as JSON strings."""
        return self.model_dump(mode="json" if json_compatible else "python", **kwargs)


class GlobalConcurrencyLimitCreate(BaseModel):
    """A global concurrency limit to create (Prefect's `GlobalConcurrencyLimitCreate`)."""

    name: str
    limit: int
    active: bool = True
    active_slots: int = 0
    denied_slots: int = 0
    slot_decay_per_second: float = 0.0


class GlobalConcurrencyLimitUpdate(BaseModel):
    """The fields of a global concurrency limit to change (those left unset stay)."""

    name: str | None = None
    limit: int | None = None
    active: bool | None = None
    active_slots: int | None = None
    denied_slots: int | None = None
    slot_decay_per_second: float | None = None
