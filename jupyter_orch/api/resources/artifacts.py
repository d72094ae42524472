"""Artifacts: markdown, tables, links and notebooks that runs publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Id, Name, Page, PageParams, Strict
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import logs

ArtifactType = Literal["markdown", "table", "link", "notebook"]


class ArtifactOut(BaseModel):
    id: str
    key: str | None = None
    type: str
    data: Any = None
    description: str | None = None
    flow_run_id: str | None = None
    task_run_id: str | None = None
    created: datetime


class ArtifactFilter(PageParams):
    flow_run_id: Id | None = None
    task_run_id: Id | None = None
    key: Name | None = None
    type: ArtifactType | None = None


class ArtifactCreate(Strict):
    id: Id | None = None
    key: Name | None = None
    type: ArtifactType
    data: Any = None
    description: str | None = None
    flow_run_id: Id | None = None
    task_run_id: Id | None = None


def list_artifacts(session: Session, p: ArtifactFilter) -> dict[str, Any]:
    rows, nxt = logs.list_artifacts(
        session,
        flow_run_id=p.flow_run_id,
        task_run_id=p.task_run_id,
        key=p.key,
        type=p.type,
        limit=p.limit,
        cursor=p.cursor,
    )
    return {"items": [row_to_dict(r) for r in rows], "next": nxt}


def create_artifact(session: Session, _: None, body: ArtifactCreate) -> dict[str, Any]:
    return row_to_dict(logs.create_artifact(session, **body.model_dump(exclude_none=True)))


TAG = "artifacts"
ROUTES = [
    Route(
        "GET",
        "/artifacts",
        list_artifacts,
        "List artifacts",
        TAG,
        params=ArtifactFilter,
        response=Page[ArtifactOut],
    ),
    Route(
        "POST",
        "/artifacts",
        create_artifact,
        "Create an artifact",
        TAG,
        body=ArtifactCreate,
        response=ArtifactOut,
        status=201,
    ),
]
