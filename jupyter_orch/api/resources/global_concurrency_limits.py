"""Global concurrency limits (Prefect's v2 limits, at Prefect's paths `/v2/concurrency_limits`):
named slot counters that `concurrency()` / `rate_limit()` blocks hold, whatever runs them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Int32, Name, Params, Strict
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.store import global_limits

TAG = "global_concurrency_limits"
BASE = "/v2/concurrency_limits"


class GlobalLimitIn(Strict):
    name: Name
    limit: Int32
    active: bool = True
    active_slots: Int32 = 0
    denied_slots: Int32 = 0
    slot_decay_per_second: float = Field(0.0, ge=0)


class GlobalLimitUpdate(Strict):
    name: Name | None = None
    limit: Int32 | None = None
    active: bool | None = None
    active_slots: Int32 | None = None
    denied_slots: Int32 | None = None
    slot_decay_per_second: float | None = Field(None, ge=0)


class GlobalLimitByName(Params):
    name_or_id: Name


class GlobalLimitPage(Params):
    limit: int = Field(200, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31 - 1, description="rows to skip")


class GlobalSlotsIncrementIn(Strict):
    names: list[Name] = Field(min_length=1, max_length=100)
    slots: int = Field(1, ge=1, le=2**31 - 1)
    mode: Literal["concurrency", "rate_limit"] = "concurrency"


class GlobalSlotsDecrementIn(Strict):
    names: list[Name] = Field(min_length=1, max_length=100)
    slots: int = Field(1, ge=1, le=2**31 - 1)
    occupancy_seconds: float | None = Field(None, ge=0)


def create_global_limit(session: Session, _: None, body: GlobalLimitIn) -> dict[str, Any]:
    return global_limits.to_dict(global_limits.create(session, body.model_dump()))


def read_global_limit(session: Session, p: GlobalLimitByName) -> dict[str, Any]:
    return global_limits.to_dict(global_limits.read(session, p.name_or_id))


def list_global_limits(session: Session, p: GlobalLimitPage) -> dict[str, Any]:
    rows = global_limits.list_limits(session, p.limit, p.offset)
    return {"items": [global_limits.to_dict(r) for r in rows], "next": None}


def update_global_limit(session: Session, p: GlobalLimitByName, body: GlobalLimitUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    return global_limits.to_dict(global_limits.update(session, p.name_or_id, fields))


def delete_global_limit(session: Session, p: GlobalLimitByName) -> None:
    global_limits.delete(session, p.name_or_id)


def increment_global_slots(session: Session, _: None, body: GlobalSlotsIncrementIn) -> dict[str, Any]:
    """Take slots of every active limit named (all or none); the caller waits and asks again."""
    acquired, limits = global_limits.increment(session, body.names, body.slots, body.mode)
    return {"acquired": acquired, "limits": limits}


def decrement_global_slots(session: Session, _: None, body: GlobalSlotsDecrementIn) -> dict[str, Any]:
    return {"limits": global_limits.decrement(session, body.names, body.slots, body.occupancy_seconds)}


ROUTES = [
    Route("GET", BASE, list_global_limits, "List global concurrency limits", TAG, params=GlobalLimitPage),
    Route(
        "POST",
        BASE,
        create_global_limit,
        "Create a global concurrency limit",
        TAG,
        body=GlobalLimitIn,
        status=201,
    ),
    Route(
        "POST",
        f"{BASE}/increment",
        increment_global_slots,
        "Take slots of the named limits (all or none)",
        TAG,
        body=GlobalSlotsIncrementIn,
    ),
    Route(
        "POST",
        f"{BASE}/decrement",
        decrement_global_slots,
        "Give back slots of the named limits",
        TAG,
        body=GlobalSlotsDecrementIn,
    ),
    Route(
        "GET",
        BASE + "/{name_or_id}",
        read_global_limit,
        "Read a global concurrency limit",
        TAG,
        params=GlobalLimitByName,
    ),
    Route(
        "PATCH",
        BASE + "/{name_or_id}",
        update_global_limit,
        "Change a global concurrency limit",
        TAG,
        params=GlobalLimitByName,
        body=GlobalLimitUpdate,
    ),
    Route(
        "DELETE",
        BASE + "/{name_or_id}",
        delete_global_limit,
        "Delete a global concurrency limit",
        TAG,
        params=GlobalLimitByName,
        status=204,
    ),
]
