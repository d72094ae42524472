"""Tag-based task-run concurrency limits, and the slots engines take and give back under them."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Int32, Params, Strict, Tag
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.store import concurrency

TAG = "concurrency_limits"


class LimitIn(Strict):
    tag: Tag
    concurrency_limit: Int32


class ByTag(Params):
    tag: Tag


def list_limits(session: Session, _: None = None) -> dict[str, Any]:
    return {"items": concurrency.list_limits(session), "next": None}


def create_limit(session: Session, _: None, body: LimitIn) -> dict[str, Any]:
    concurrency.create_limit(session, body.tag, body.concurrency_limit)
    return next(x for x in concurrency.list_limits(session) if x["tag"] == body.tag)


def delete_limit(session: Session, p: ByTag) -> None:
    concurrency.delete_limit(session, p.tag)


class IncrementIn(Strict):
    tags: list[Tag]
    holder_id: str = Field(min_length=1, max_length=36)


class DecrementIn(Strict):
    holder_id: str = Field(min_length=1, max_length=36)


def increment(session: Session, _: None, body: IncrementIn) -> dict[str, Any]:
    """Take one slot of every limited tag for the holder (all or none); the caller waits and retries."""
    return {"acquired": concurrency.acquire_tag_slots(session, body.tags, body.holder_id)}


def decrement(session: Session, _: None, body: DecrementIn) -> dict[str, Any]:
    return {"released": concurrency.release_slots(session, body.holder_id)}


ROUTES = [
    Route("GET", "/concurrency_limits", list_limits, "List concurrency limits", TAG),
    Route(
        "POST",
        "/concurrency_limits",
        create_limit,
        "Create or change a tag's limit",
        TAG,
        body=LimitIn,
        status=201,
    ),
    Route(
        "POST",
        "/concurrency_limits/increment",
        increment,
        "Take slots of the limited tags for a holder (all or none)",
        TAG,
        body=IncrementIn,
    ),
    Route(
        "POST",
        "/concurrency_limits/decrement",
        decrement,
        "Give back every slot a holder has",
        TAG,
        body=DecrementIn,
    ),
    Route(
        "DELETE",
        "/concurrency_limits/{tag}",
        delete_limit,
        "Delete a tag's limit",
        TAG,
        params=ByTag,
        status=204,
    ),
]
