"""Task runs: read and filtered here; written by the engine in batches (with states, edges, logs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import (
    ById,
    Id,
    Int64,
    JSONObject,
    JSONValue,
    LogMessage,
    Name,
    Page,
    PageParams,
    Params,
    StateName,
    StateOut,
    StateRowOut,
    StateTypeIn,
    Strict,
    Tag,
    UTCDateTime,
)
from jupyter_orch.api.routing import Route
from jupyter_orch.db.models import FlowRun, new_id
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.serialize import row_to_dict, run_to_dict
from jupyter_orch.orchestration.store import task_runs
from jupyter_orch.states import StateType, utcnow


class TaskRunOut(BaseModel):
    id: str
    name: str
    task_key: str
    task_version: str | None = None
    dynamic_key: str
    flow_run_id: str | None = None
    state_type: StateType | None = None
    state_name: str | None = None
    state_message: str | None = None
    state: StateOut | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time: float
    run_count: int
    tags: list[str]
    cache_key: str | None = None
    cache_expiration: datetime | None = None
    task_inputs: Any = None
    empirical_policy: Any = None
    created: datetime
    updated: datetime


class TaskRunFilter(PageParams):
    flow_run_id: Id | None = None
    name: Name | None = None
    state_type: list[StateTypeIn] = Field(default_factory=list, description="repeat: any of them")
    tags: list[Tag] = Field(default_factory=list, description="repeat: a run must carry every tag")


class CachedParams(Params):
    cache_key: Name


class CachedOut(BaseModel):
    task_run: TaskRunOut | None


# -- the engine's batch: rows mirror the table columns ---------------------------------------------


class TaskRunRow(Strict):
    id: Id
    name: Name
    task_key: Name
    task_version: Name | None = None
    dynamic_key: str = Field("0", min_length=1, max_length=64)
    flow_run_id: Id | None = None
    state_id: Id
    state_type: StateTypeIn
    state_name: StateName | None = None
    state_message: str | None = None
    state_timestamp: UTCDateTime | None = None
    state_data: JSONValue = None
    start_time: UTCDateTime | None = None
    end_time: UTCDateTime | None = None
    total_run_time: float = 0.0
    run_count: Int64 = 0
    tags: list[Tag] = Field(default_factory=list)
    cache_key: Name | None = None
    cache_expiration: UTCDateTime | None = None
    task_inputs: JSONObject = Field(default_factory=dict)
    empirical_policy: JSONObject = Field(default_factory=dict)
    created: UTCDateTime | None = None
    updated: UTCDateTime | None = None


class TaskRunStateRow(Strict):
    id: Id
    task_run_id: Id
    type: StateTypeIn
    name: StateName
    message: str | None = None
    timestamp: UTCDateTime
    data: JSONValue = None


class EdgeRow(Strict):
    flow_run_id: Id
    upstream_id: Id
    downstream_id: Id
    kind: str = Field("data", max_length=16)


class LogRow(Strict):
    flow_run_id: Id | None = None
    task_run_id: Id | None = None
    name: Name = "jupyter_orch"
    level: Int64 = 20
    message: LogMessage
    timestamp: UTCDateTime | None = None


class ArtifactRow(Strict):
    id: Id | None = None
    key: Name | None = None
    type: str = Field(max_length=32)
    data: JSONValue = None
    description: str | None = None
    flow_run_id: Id | None = None
    task_run_id: Id | None = None
    created: UTCDateTime | None = None


class BatchIn(Strict):
    batch_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="unique per batch: a batch whose id was already applied is skipped (a retry)",
    )
    task_runs: list[TaskRunRow] = Field(default_factory=list)
    task_run_states: list[TaskRunStateRow] = Field(default_factory=list)
    edges: list[EdgeRow] = Field(default_factory=list)
    logs: list[LogRow] = Field(default_factory=list)
    artifacts: list[ArtifactRow] = Field(default_factory=list)


class BatchOut(BaseModel):
    replayed: bool = False
    task_runs: int
    task_run_states: int
    edges: int
    logs: int
    artifacts: int


# -- operations -----------------------------------------------------------------------------------


def list_task_runs(session: Session, p: TaskRunFilter) -> dict[str, Any]:
    # the filter's fields are the store's
    rows, nxt = task_runs.list_task_runs(
        session, **{**dict(p), "state_type": [t.value for t in p.state_type]}
    )
    return {"items": [run_to_dict(r) for r in rows], "next": nxt}


def read_task_run(session: Session, p: ById) -> dict[str, Any]:
    return run_to_dict(task_runs.read_task_run(session, p.id))


def read_task_run_states(session: Session, p: ById) -> list[dict[str, Any]]:
    return [row_to_dict(s) for s in task_runs.task_run_states(session, p.id)]


def find_cached_task_run(session: Session, p: CachedParams) -> dict[str, Any]:
    row = task_runs.find_cached(session, p.cache_key, utcnow())
    return {"task_run": run_to_dict(row) if row is not None else None}


BATCH_KINDS = ("task_runs", "task_run_states", "edges", "logs", "artifacts")


def _task_run_row(row: dict[str, Any], now: datetime) -> None:
    row["state_type"] = row["state_type"].value
    row["state_name"] = row["state_name"] or row["state_type"].title()
    row["created"] = row["created"] or now
    row["updated"] = row["updated"] or now


def _state_row(row: dict[str, Any], now: datetime) -> None:
    row["type"] = row["type"].value


def _log_row(row: dict[str, Any], now: datetime) -> None:
    row["timestamp"] = row["timestamp"] or now


def _artifact_row(row: dict[str, Any], now: datetime) -> None:
    row["id"] = row["id"] or new_id()
    row["created"] = row["created"] or now


#: batch kind -> what fills in a dumped row of it (defaults the engine left to the server)
_FILL: dict[str, Callable[[dict[str, Any], datetime], None] | None] = {
    "task_runs": _task_run_row,
    "task_run_states": _state_row,
    "edges": None,
    "logs": _log_row,
    "artifacts": _artifact_row,
}


def _check_flow_runs(session: Session, body: BatchIn) -> None:
    run_ids = {r.flow_run_id for r in body.task_runs if r.flow_run_id} | {e.flow_run_id for e in body.edges}
    for run_id in run_ids:
        if session.get(FlowRun, run_id) is None:
            raise Invalid(f"no flow run with id {run_id}", field="flow_run_id")


def apply_task_run_batch(session: Session, _: None, body: BatchIn) -> dict[str, int]:
    """What the engine buffered, written in one transaction; replaying a batch changes nothing."""
    if body.batch_id is not None and not task_runs.claim_batch_id(session, body.batch_id):
        # already applied (the client lost our answer and sent it again): nothing to write
        return {"replayed": True, **dict.fromkeys(BATCH_KINDS, 0)}
    _check_flow_runs(session, body)
    now = utcnow()
    batch: dict[str, list[dict[str, Any]]] = {}
    for kind, fill in _FILL.items():
        rows = [r.model_dump() for r in getattr(body, kind)]
        if fill is not None:
            for row in rows:
                fill(row, now)
        batch[kind] = rows
    return task_runs.apply_batch(session, batch)


TAG = "task_runs"
ROUTES = [
    Route(
        "GET",
        "/task_runs",
        list_task_runs,
        "List task runs",
        TAG,
        params=TaskRunFilter,
        response=Page[TaskRunOut],
    ),
    Route(
        "GET",
        "/task_runs/cached",
        find_cached_task_run,
        "The newest unexpired completed task run with a cache key",
        TAG,
        params=CachedParams,
        response=CachedOut,
    ),
    Route(
        "POST",
        "/task_runs/batch",
        apply_task_run_batch,
        "Write task runs, their states, edges, logs and artifacts in one request",
        TAG,
        body=BatchIn,
        response=BatchOut,
        batch=True,
    ),
    Route("GET", "/task_runs/{id}", read_task_run, "Read a task run", TAG, params=ById, response=TaskRunOut),
    Route(
        "GET",
        "/task_runs/{id}/states",
        read_task_run_states,
        "State history, oldest first",
        TAG,
        params=ById,
        response=list[StateRowOut],
    ),
]
