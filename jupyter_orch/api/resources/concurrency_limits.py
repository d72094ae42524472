"""Tag-based task-run concurrency limits."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Params, Strict, Tag
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.store import concurrency

TAG = "concurrency_limits"


class LimitIn(Strict):
    tag: Tag
    concurrency_limit: int = Field(ge=0)


class ByTag(Params):
    tag: Tag


def list_limits(session: Session, _: None = None) -> dict[str, Any]:
    return {"items": concurrency.list_limits(session), "next": None}


def create_limit(session: Session, _: None, body: LimitIn) -> dict[str, Any]:
    concurrency.create_limit(session, body.tag, body.concurrency_limit)
    return next(x for x in concurrency.list_limits(session) if x["tag"] == body.tag)


def delete_limit(session: Session, p: ByTag) -> None:
    concurrency.delete_limit(session, p.tag)


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
        "DELETE",
        "/concurrency_limits/{tag}",
        delete_limit,
        "Delete a tag's limit",
        TAG,
        params=ByTag,
        status=204,
    ),
]
