"""Flows: one row per flow name, created on first use by any process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Flow, new_id, utcnow
from jupyter_orch.orchestration.store.query import found, paginate, read_by_id, select_equal, tags_contain
from jupyter_orch.orchestration.store.upsert import insert_ignore


def get_or_create_flow(session: Session, name: str, parameter_schema: dict[str, Any] | None = None) -> Flow:
    """The flow named `name`, created if new (safe when two processes race to create it)."""
    flow = session.scalars(select(Flow).where(Flow.name == name)).first()
    if flow is None:
        now = utcnow()
        session.execute(
            insert_ignore(session, Flow, ["name"]),
            [
                {
                    "id": new_id(),
                    "name": name,
                    "tags": [],
                    "parameter_schema": parameter_schema,
                    "created": now,
                    "updated": now,
                }
            ],
        )
        flow = session.scalars(select(Flow).where(Flow.name == name)).one()
    elif parameter_schema is not None and flow.parameter_schema != parameter_schema:
        flow.parameter_schema = parameter_schema
    return flow


_FLOWS = Flow.__table__
_FLOW_BY_ID = select(_FLOWS.c.id, _FLOWS.c.name).where(_FLOWS.c.id == bindparam("id"))


def _conn(session: Session):  # noqa: ANN202
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def flow_by_id(session: Session, flow_id: str) -> tuple[str, str]:
    """(id, name) of the flow with this id, or NotFound."""
    row = found(
        _conn(session).execute(_FLOW_BY_ID, {"id": flow_id}).first(), f"no flow with id {flow_id}", "id"
    )
    return row.id, row.name


def read_flow(session: Session, flow_id: str) -> Flow:
    return read_by_id(session, Flow, flow_id, "flow")


def read_flow_by_name(session: Session, name: str) -> Flow:
    flow = session.scalars(select(Flow).where(Flow.name == name)).first()
    return found(flow, f"no flow named {name!r}", "flow_name")


def list_flows(
    session: Session,
    name: str | None = None,
    tags: list[str] | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Flow], str | None]:
    stmt = select_equal(Flow, name=name)
    if tags:
        stmt = stmt.where(tags_contain(session, Flow.tags, tags))
    return paginate(session, stmt, Flow, limit, cursor)


def delete_flow(session: Session, flow_id: str) -> None:
    session.delete(read_flow(session, flow_id))
