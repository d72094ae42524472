"""Flows: one per flow name, created by the first run that names it (or by `POST /flows`, as
Prefect's client `create_flow_from_name` does before it creates a deployment of it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import ById, JSONObject, Name, Page, PageParams, Strict, Tag
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import flows


class FlowOut(BaseModel):
    id: str
    name: str
    tags: list[str]
    parameter_schema: JSONObject | None = None
    description: str | None = None
    created: datetime
    updated: datetime


class FlowFilter(PageParams):
    name: Name | None = None
    tags: list[Tag] = Field(default_factory=list, description="repeat: a flow must carry every tag")


class FlowCreate(Strict):
    name: Name


def create_flow(session: Session, _: None, body: FlowCreate) -> dict[str, Any]:
    return row_to_dict(flows.get_or_create_flow(session, body.name))


def list_flows(session: Session, p: FlowFilter) -> dict[str, Any]:
    rows, nxt = flows.list_flows(session, name=p.name, tags=p.tags, limit=p.limit, cursor=p.cursor)
    return {"items": [row_to_dict(r) for r in rows], "next": nxt}


def read_flow(session: Session, p: ById) -> dict[str, Any]:
    return row_to_dict(flows.read_flow(session, p.id))


def delete_flow(session: Session, p: ById) -> None:
    flows.delete_flow(session, p.id)


ROUTES = [
    Route("GET", "/flows", list_flows, "List flows", "flows", params=FlowFilter, response=Page[FlowOut]),
    Route(
        "POST", "/flows", create_flow, "Create a flow (or answer the one of that name)", "flows",
        body=FlowCreate, response=FlowOut,
    ),  # fmt: skip
    Route("GET", "/flows/{id}", read_flow, "Read a flow", "flows", params=ById, response=FlowOut),
    Route(
        "DELETE", "/flows/{id}", delete_flow, "Delete a flow and its runs", "flows", params=ById, status=204
    ),
]
