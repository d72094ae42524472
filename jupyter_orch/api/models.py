"""Pydantic models shared by several resources: pagination, states, errors, constrained types.

Request models reject what the database could not store (over-long names, ids longer than 36
characters, integers beyond 64 bits) so that bad input is a 422 naming the field, never a 500.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from jupyter_orch.settings import limits
from jupyter_orch.states import State, StateType


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


UTCDateTime = Annotated[datetime, AfterValidator(_as_utc)]
Id = Annotated[str, Field(min_length=1, max_length=36)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
StateName = Annotated[str, Field(min_length=1, max_length=64)]
Tag = Annotated[str, Field(min_length=1, max_length=255)]
StateTypeIn = Annotated[StateType, BeforeValidator(_upper)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
#: a count or limit stored in a 32-bit integer column (concurrency limits, priorities, pids)
Int32 = Annotated[int, Field(ge=0, le=2**31 - 1)]


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests deeper than `limit` (walked without recursion, stopping
    at the first branch too deep: cheap for the small values it is given)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _json_value(value: Any) -> Any:
    limit = limits().max_json_depth
    if isinstance(value, (dict, list)) and value and json_depth_exceeds(value, limit):
        raise ValueError(f"nested deeper than {limit} levels (the max_json_depth limit)")
    return value


def _parameters(value: dict[str, Any]) -> dict[str, Any]:
    _json_value(value)
    limit = limits().max_parameters_bytes
    if value and len(json.dumps(value, default=str).encode()) > limit:
        raise ValueError(f"larger than {limit} bytes as JSON (the max_parameters_bytes limit)")
    return value


def _log_message(value: str) -> str:
    limit = limits().max_log_message_bytes
    if len(value) * 4 > limit and len(value.encode("utf-8", "surrogatepass")) > limit:
        raise ValueError(f"longer than {limit} bytes (the max_log_message_bytes limit)")
    return value


LogMessage = Annotated[str, AfterValidator(_log_message)]
#: free-form JSON (job variables, state data, artifacts, ...): at most `max_json_depth` deep
JSONValue = Annotated[Any, AfterValidator(_json_value)]
JSONObject = Annotated[dict[str, Any], AfterValidator(_json_value)]
#: a run's or deployment's parameters: also at most `max_parameters_bytes` as JSON
Parameters = Annotated[dict[str, Any], AfterValidator(_parameters)]

T = TypeVar("T")


class Strict(BaseModel):
    """Request bodies: unknown fields are an error (a typo should not be silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class Params(BaseModel):
    """Path and query parameters: unknown query parameters (like `token`) are ignored."""

    model_config = ConfigDict(extra="ignore")


class PageParams(Params):
    limit: int = Field(50, ge=1, le=500, description="page size")
    cursor: str | None = Field(None, max_length=1000, description="the `next` of the previous page")


class ById(Params):
    id: Id


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = Field(description="cursor of the next page, null on the last")


class StateIn(Strict):
    type: StateTypeIn
    name: StateName | None = None
    message: str | None = None
    id: Id | None = Field(None, description="transition id: the same id is applied at most once")
    timestamp: UTCDateTime | None = None
    data: JSONValue = None
    scheduled_time: UTCDateTime | None = None

    def to_state(self) -> Any:
        fields = dict(self)  # the field values as they are (no copies, no conversion)
        return State(fields.pop("type"), **fields)


class _StateFields(BaseModel):
    id: str
    type: StateType
    name: str
    message: str | None = None
    timestamp: datetime
    data: Any = None


class StateOut(_StateFields):
    scheduled_time: datetime | None = None


class StateRowOut(_StateFields):
    """One entry of a run's state history."""

    flow_run_id: str | None = None
    task_run_id: str | None = None


class ErrorOut(BaseModel):
    error: str = Field(description="machine-readable code: malformed, not_found, conflict, invalid, ...")
    message: str
    field: str | None = None


class Count(BaseModel):
    count: int
