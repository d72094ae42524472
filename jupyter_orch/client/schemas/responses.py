"""Prefect's `prefect.client.schemas.responses` names: what the API answers for a global
concurrency limit."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class GlobalConcurrencyLimitResponse(BaseModel):
    """A global concurrency limit as read (`active_slots`: the slots held now)."""

    id: uuid.UUID
    name: str
    limit: int
    active: bool = True
    active_slots: int = 0
    denied_slots: int = 0
    slot_decay_per_second: float = 0.0
    avg_slot_occupancy_seconds: float = 2.0
    created: datetime | None = None
    updated: datetime | None = None


__all__ = ["GlobalConcurrencyLimitResponse"]
