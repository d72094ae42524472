"""Notification policies, their deliveries, and the UI channel's messages."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import ById, Id, JSONObject, Name, PageParams, Params, Strict, UTCDateTime
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import notifications as store

TAG = "notifications"


class PolicyIn(Strict):
    name: Name
    channel: Literal["webhook", "slack", "email", "ui"]
    config: JSONObject = Field(default_factory=dict)
    state_names: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    deployment_ids: list[Id] = Field(default_factory=list)
    message_template: str | None = None
    is_active: bool = True


class MessagesFilter(Params):
    after: UTCDateTime | None = None
    limit: int = Field(100, ge=1, le=500)


class DeliveryFilter(PageParams):
    status: Literal["PENDING", "SENT", "FAILED"] | None = None
    flow_run_id: Id | None = None


def _policy(p: Any) -> dict[str, Any]:
    out = row_to_dict(p)
    if isinstance(out.get("config"), dict) and "password" in out["config"]:
        out["config"] = {**out["config"], "password": "********"}
    return out


def list_policies(session: Session, _: None = None) -> dict[str, Any]:
    return {"items": [_policy(p) for p in store.list_policies(session)], "next": None}


def create_policy(session: Session, _: None, body: PolicyIn) -> dict[str, Any]:
    return _policy(store.create_policy(session, **body.model_dump()))


def delete_policy(session: Session, p: ById) -> None:
    store.delete_policy(session, p.id)


def messages(session: Session, p: MessagesFilter) -> dict[str, Any]:
    return {"items": [row_to_dict(d) for d in store.ui_messages(session, p.after, p.limit)], "next": None}


def send_test(session: Session, p: ById) -> dict[str, Any]:
    """Queue a test message through the policy's channel; read the delivery to see it sent or failed."""
    return row_to_dict(store.queue_test(session, p.id))


def read_delivery(session: Session, p: ById) -> dict[str, Any]:
    return row_to_dict(store.read_delivery(session, p.id))


def deliveries(session: Session, p: DeliveryFilter) -> dict[str, Any]:
    rows, nxt = store.list_deliveries(session, p.status, p.flow_run_id, p.limit, p.cursor)
    return {"items": [row_to_dict(d) for d in rows], "next": nxt}


ROUTES = [
    Route("GET", "/notifications", list_policies, "List notification policies", TAG),
    Route(
        "POST",
        "/notifications",
        create_policy,
        "Create a notification policy",
        TAG,
        body=PolicyIn,
        status=201,
    ),
    Route(
        "DELETE",
        "/notifications/{id}",
        delete_policy,
        "Delete a notification policy",
        TAG,
        params=ById,
        status=204,
    ),
    Route(
        "GET",
        "/notifications/messages",
        messages,
        "UI notifications, newest last",
        TAG,
        params=MessagesFilter,
    ),
    Route(
        "GET", "/notifications/deliveries", deliveries, "Notification deliveries", TAG, params=DeliveryFilter
    ),
    Route(
        "GET",
        "/notifications/deliveries/{id}",
        read_delivery,
        "Read a notification delivery (status, attempts, last error)",
        TAG,
        params=ById,
    ),
    Route(
        "POST",
        "/notifications/{id}/test",
        send_test,
        "Send a test message through a policy's channel",
        TAG,
        params=ById,
        status=201,
    ),
]
