"""Artifacts: markdown, tables, links, images, progress and notebooks that runs (or scripts
outside any run) publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from jupyter_orch.api.models import ById, Id, JSONValue, Name, Page, PageParams, Params, Strict
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.errors import NotFound
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import logs

ArtifactType = Literal["markdown", "table", "link", "notebook", "progress", "image", "rich"]


class ArtifactOut(BaseModel):
    id: str
    key: str | None = None
    type: str
    data: JSONValue = None
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
    data: JSONValue = None
    description: str | None = None
    flow_run_id: Id | None = None
    task_run_id: Id | None = None


class ArtifactUpdate(Strict):
    data: JSONValue = None
    description: str | None = None


class ByKey(Params):
    key: Name


def list_artifacts(session: Session, p: ArtifactFilter) -> dict[str, Any]:
    rows, nxt = logs.list_artifacts(session, **dict(p))  # the filter's fields are the store's
    return {"items": [row_to_dict(r) for r in rows], "next": nxt}


def create_artifact(session: Session, _: None, body: ArtifactCreate) -> dict[str, Any]:
    return row_to_dict(logs.create_artifact(session, **body.model_dump(exclude_none=True)))


def read_artifact(session: Session, p: ById) -> dict[str, Any]:
    return row_to_dict(logs.read_artifact(session, p.id))


def update_artifact(session: Session, p: ById, body: ArtifactUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return row_to_dict(logs.update_artifact(session, p.id, **fields))


def latest_artifact(session: Session, p: ByKey) -> dict[str, Any]:
    rows, _ = logs.list_artifacts(session, key=p.key, limit=1)
    if not rows:
        raise NotFound(f"no artifact with key {p.key!r}", field="key")
    return row_to_dict(rows[0])


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
    Route(
        "GET",
        "/artifacts/{key}/latest",
        latest_artifact,
        "Read the newest artifact with a key",
        TAG,
        params=ByKey,
        response=ArtifactOut,
    ),
    Route(
        "GET", "/artifacts/{id}", read_artifact, "Read an artifact", TAG, params=ById, response=ArtifactOut
    ),
    Route(
        "PATCH",
        "/artifacts/{id}",
        update_artifact,
        "Change an artifact's data or description (a progress artifact's progress)",
        TAG,
        params=ById,
        body=ArtifactUpdate,
        response=ArtifactOut,
    ),
]
