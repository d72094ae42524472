"""Deployments (create-or-update by flow and name, ad hoc runs, pause/resume) and schedule previews."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import (
    ById,
    Int32,
    JSONObject,
    Name,
    Page,
    PageParams,
    Parameters,
    Params,
    Strict,
    Tag,
    UTCDateTime,
)
from jupyter_orch.api.resources.flow_runs import FlowRunOut
from jupyter_orch.api.resources.notebooks import prepare_notebook_deployment
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.serialize import run_to_dict
from jupyter_orch.orchestration.store import deployments as store
from jupyter_orch.scheduling import preview

TAG = "deployments"


class ScheduleSpec(Strict):
    """What a schedule fires on, as a deployment's schedule and a preview both take it."""

    cron: str | None = None
    interval: float | None = None
    timezone: str | None = None
    anchor_date: str | None = None


class ScheduleIn(ScheduleSpec):
    active: bool = True


class DeploymentFields(Strict):
    entrypoint: str | None = None
    path: str | None = None
    kind: Literal["python", "notebook"] | None = None
    storage: JSONObject | None = None
    parameters: Parameters | None = None
    parameter_openapi_schema: JSONObject | None = None
    tags: list[Tag] | None = None
    version: str | None = None
    description: str | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    paused: bool | None = None
    concurrency_limit: Int32 | None = None
    catchup: Literal["skip", "once", "all"] | None = None
    job_variables: JSONObject | None = None
    empirical_policy: JSONObject | None = None
    schedules: list[ScheduleIn] | None = None


class DeploymentIn(DeploymentFields):
    flow_name: Name
    name: Name


class ScheduleOut(BaseModel):
    """One of a deployment's schedules, described, with its next times."""

    id: str
    deployment_id: str
    schedule: dict[str, Any] = Field(description="`{cron | interval, timezone, anchor_date}`")
    active: bool
    scheduled_until: datetime | None = None
    description: str
    next_runs: list[str]
    created: datetime
    updated: datetime


class DeploymentOut(BaseModel):
    id: str
    name: str
    flow_id: str
    flow_name: str
    full_name: str
    kind: Literal["python", "notebook"]
    entrypoint: str | None = None
    path: str | None = None
    storage: dict[str, Any] = Field(description="`{type: snapshot | live, source, notebook, ...}`")
    parameters: dict[str, Any]
    parameter_openapi_schema: dict[str, Any] | None = None
    tags: list[str]
    version: str | None = None
    description: str | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    paused: bool
    concurrency_limit: int | None = None
    catchup: str
    job_variables: dict[str, Any]
    empirical_policy: dict[str, Any]
    last_scheduled_time: datetime | None = None
    schedules: list[ScheduleOut]
    created: datetime
    updated: datetime


class DeploymentFilter(PageParams):
    name: Name | None = None
    flow_name: Name | None = None
    tags: list[Tag] = Field(default_factory=list)
    paused: bool | None = None
    work_pool_name: Name | None = None


class ByFullName(Params):
    flow_name: Name
    deployment_name: Name


class RunIn(Strict):
    parameters: Parameters | None = None
    tags: list[Tag] | None = None
    name: Name | None = None
    scheduled_time: UTCDateTime | None = None
    idempotency_key: str | None = None
    work_queue_name: str | None = None


class PreviewIn(ScheduleSpec):
    count: int = 5


class PreviewOut(BaseModel):
    description: str = Field(description="the schedule in words")
    next_runs: list[str] = Field(description="the next times, ISO 8601 with their offset")


#: JSON columns that are never null: a null in a body means "empty" (as on creation without them)
_EMPTY: dict[str, Any] = {"tags": list, "parameters": dict, "storage": dict, "job_variables": dict,
                          "empirical_policy": dict}  # fmt: skip


def _fields(body: DeploymentFields) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    for key, empty in _EMPTY.items():
        if key in data and data[key] is None:
            data[key] = empty()
    if data.get("schedules") is not None:
        data["schedules"] = [
            {
                "schedule": {k: v for k, v in s.items() if k != "active" and v is not None},
                "active": s.get("active", True),
            }
            for s in data["schedules"]
        ]
    return data


def _out(session: Session, dep: Any) -> dict[str, Any]:
    return store.deployment_to_dict(session, dep)


def list_deployments(session: Session, p: DeploymentFilter) -> dict[str, Any]:
    rows, nxt = store.list_deployments(
        session, p.name, p.flow_name, p.tags, p.paused, p.work_pool_name, p.limit, p.cursor
    )
    return {"items": [_out(session, d) for d in rows], "next": nxt}


def _apply(session: Session, data: dict[str, Any]) -> Any:
    """Create or update from request fields: what POST and PATCH both do, so both validate alike.

    A notebook deployment named by a path (no snapshot `source` given) takes that path relative
    to the server root (a path leading out of it is a 422) and its schema from the notebook.
    """
    if data.get("kind") == "notebook" and data.get("path") and "source" not in (data.get("storage") or {}):
        return prepare_notebook_deployment(session, data)  # a path under the server root
    return store.upsert_deployment(session, **data)


def create_deployment(session: Session, _: None, body: DeploymentIn) -> dict[str, Any]:
    return _out(session, _apply(session, _fields(body)))


def read_deployment(session: Session, p: ById) -> dict[str, Any]:
    return _out(session, store.read_deployment(session, p.id))


def read_by_name(session: Session, p: ByFullName) -> dict[str, Any]:
    return _out(session, store.read_deployment_by_name(session, f"{p.flow_name}/{p.deployment_name}"))


def update_deployment(session: Session, p: ById, body: DeploymentFields) -> dict[str, Any]:
    dep = store.read_deployment(session, p.id)
    data = _fields(body)
    if "path" in data and "kind" not in data:
        data["kind"] = dep.kind  # a new path is judged by the deployment's kind, as POST judges it
    return _out(session, _apply(session, {"flow_name": dep.flow_name, "name": dep.name, **data}))


def delete_deployment(session: Session, p: ById) -> None:
    store.delete_deployment(session, p.id)


def create_flow_run(session: Session, p: ById, body: RunIn) -> dict[str, Any]:
    return run_to_dict(
        store.create_flow_run_from_deployment(session, p.id, **body.model_dump(exclude_none=True))
    )


def pause(session: Session, p: ById) -> dict[str, Any]:
    return _out(session, store.set_paused(session, p.id, True))


def resume(session: Session, p: ById) -> dict[str, Any]:
    return _out(session, store.set_paused(session, p.id, False))


def preview_schedule(session: Session, _: None, body: PreviewIn) -> dict[str, Any]:
    spec = body.model_dump(exclude_none=True)
    count = spec.pop("count", 5)
    return preview(spec, count)


ROUTES = [
    Route(
        "GET",
        "/deployments",
        list_deployments,
        "List deployments",
        TAG,
        params=DeploymentFilter,
        response=Page[DeploymentOut],
    ),
    Route(
        "POST",
        "/deployments",
        create_deployment,
        "Create or update a deployment",
        TAG,
        body=DeploymentIn,
        response=DeploymentOut,
    ),
    Route(
        "GET",
        "/deployments/{id}",
        read_deployment,
        "Read a deployment",
        TAG,
        params=ById,
        response=DeploymentOut,
    ),
    Route(
        "PATCH",
        "/deployments/{id}",
        update_deployment,
        "Update a deployment",
        TAG,
        params=ById,
        body=DeploymentFields,
        response=DeploymentOut,
    ),
    Route(
        "DELETE", "/deployments/{id}", delete_deployment, "Delete a deployment", TAG, params=ById, status=204
    ),
    Route(
        "GET",
        "/deployments/name/{flow_name}/{deployment_name}",
        read_by_name,
        "Read a deployment by name",
        TAG,
        params=ByFullName,
        response=DeploymentOut,
    ),
    Route(
        "POST",
        "/deployments/{id}/create_flow_run",
        create_flow_run,
        "Create an ad hoc run",
        TAG,
        params=ById,
        body=RunIn,
        response=FlowRunOut,
        status=201,
    ),
    Route(
        "POST",
        "/deployments/{id}/pause",
        pause,
        "Pause a deployment's schedules",
        TAG,
        params=ById,
        response=DeploymentOut,
    ),
    Route(
        "POST",
        "/deployments/{id}/resume",
        resume,
        "Resume a deployment's schedules",
        TAG,
        params=ById,
        response=DeploymentOut,
    ),
    Route(
        "POST",
        "/schedules/preview",
        preview_schedule,
        "Describe a schedule and its next times",
        TAG,
        body=PreviewIn,
        response=PreviewOut,
    ),
]
