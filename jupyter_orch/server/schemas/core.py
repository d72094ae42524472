"""Prefect's `prefect.server.schemas.core`: the records the API answers with."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from jupyter_orch.client.schemas.artifacts import Artifact
from jupyter_orch.client.schemas.objects import Constant, Parameter, TaskRunResult
from jupyter_orch.states.runs import FlowRun as _FlowRun


class FlowRun(_FlowRun):
    """A flow run record; `FlowRun.model_construct(deployment_id=...)` makes a partial one, as
    Prefect's pydantic model does (what an update takes)."""

    @classmethod
    def model_construct(cls, **fields: Any) -> FlowRun:
        return cls(**fields)


class ConcurrencyLimitV2(BaseModel):
    """A named concurrency limit and how many of its slots are held."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    name: str
    limit: int
    active: bool = True
    active_slots: int = 0
    denied_slots: int = 0
    slot_decay_per_second: float = 0.0
    avg_slot_occupancy_seconds: float = 2.0


__all__ = ["Artifact", "ConcurrencyLimitV2", "Constant", "FlowRun", "Parameter", "TaskRunResult"]
