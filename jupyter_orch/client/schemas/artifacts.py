"""An artifact as the API keeps it: Prefect's `prefect.client.schemas.objects.Artifact` (what
`Artifact(...).create()` and `Artifact.get(key)` answer) and `prefect.server.schemas.core.Artifact`
(what `GET /artifacts/{id}` reads as)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Artifact(BaseModel):
    id: uuid.UUID
    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: Any = None
    metadata_: dict[str, str] | None = Field(None, description="not kept: always None")
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None
    created: datetime | None = None
    updated: datetime | None = None


class ArtifactCreate(BaseModel):
    """What creating an artifact takes (Prefect's `ArtifactCreate` action)."""

    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: Any = None
    metadata_: dict[str, str] | None = None
    flow_run_id: uuid.UUID | None = None
    task_run_id: uuid.UUID | None = None


__all__ = ["Artifact", "ArtifactCreate"]
