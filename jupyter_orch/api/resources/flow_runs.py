"""Flow runs: creation, reads and filters, descriptive changes, dashboard counts (graph: flow_run_graph)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from jupyter_orch.api.models import (
    ById,
    Id,
    JSONObject,
    JSONValue,
    Name,
    Page,
    PageParams,
    Parameters,
    Params,
    StateIn,
    StateName,
    StateOut,
    StateTypeIn,
    Strict,
    Tag,
    UTCDateTime,
)
from jupyter_orch.api.routing import PASS, Route
from jupyter_orch.db.models import Deployment, Flow, FlowRun
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.errors import Conflict, Invalid
from jupyter_orch.orchestration.run_writer import RunWriter
from jupyter_orch.orchestration.serialize import run_to_dict, run_values_to_dict
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.states import StateType, utcnow

# -- models ---------------------------------------------------------------------------------------


class FlowRunOut(BaseModel):
    id: str
    name: str
    flow_id: str
    flow_name: str
    flow_version: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    parent_task_run_id: str | None = None
    parent_flow_run_id: str | None = None
    state_type: StateType | None = None
    state_name: str | None = None
    state_message: str | None = None
    state: StateOut | None = None
    expected_start_time: datetime | None = None
    next_scheduled_start_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time: float
    run_count: int
    parameters: dict[str, Any]
    tags: list[str]
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    worker_name: str | None = None
    progress: JSONValue = None
    output_location: str | None = None
    created: datetime
    updated: datetime


class FlowRunFilter(PageParams):
    name: Name | None = None
    name_like: Name | None = Field(None, description="part of the run's name, any case")
    flow_name: Name | None = None
    flow_id: Id | None = None
    deployment_id: Id | None = None
    state_type: list[StateTypeIn] = Field(default_factory=list, description="repeat: any of them")
    state_name: list[StateName] = Field(default_factory=list, description="repeat: any of them")
    tags: list[Tag] = Field(default_factory=list, description="repeat: a run must carry every tag")
    start_after: UTCDateTime | None = None
    start_before: UTCDateTime | None = None
    work_pool_name: Name | None = None
    parent_task_run_id: Id | None = None
    sort: Literal["created", "expected_start_time"] = Field(
        "created",
        description="created: newest first; expected_start_time: soonest first (upcoming runs; runs "
        "without an expected start are left out)",
    )

    def filters(self) -> dict[str, Any]:
        return self.model_dump(exclude={"limit", "cursor", "sort"}, exclude_defaults=True)


#: an id a client chooses for a new run: a UUID (with or without dashes), as the engine sends
RunId = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}$")]


class FlowRunCreate(Strict):
    flow_name: Name | None = None
    flow_id: Id | None = None
    flow_version: Name | None = Field(None, description="the version of the flow the run runs")
    name: Name | None = None
    parameters: Parameters = Field(default_factory=dict)
    tags: list[Tag] = Field(default_factory=list)
    state: StateIn | None = Field(None, description="initial state (default PENDING)")
    id: RunId | None = Field(None, description="a UUID the client chooses (the run name derives from it)")
    deployment_id: Id | None = None
    deployment_name: Name | None = None
    parent_task_run_id: Id | None = None
    parent_flow_run_id: Id | None = None
    idempotency_key: Name | None = None
    empirical_policy: JSONObject | None = Field(None, description="retries and retry delays")
    work_pool_name: Name | None = None
    work_queue_name: Name | None = None
    job_variables: JSONObject | None = None
    parameter_schema: JSONObject | None = Field(None, description="the flow's parameter JSON schema")

    @model_validator(mode="after")
    def _one_flow(self) -> FlowRunCreate:
        if not self.flow_name and not self.flow_id:
            raise ValueError("either flow_name or flow_id is required")
        return self


class FlowRunUpdate(Strict):
    name: Name | None = None
    tags: list[Tag] | None = None
    progress: JSONValue = None
    output_location: str | None = None
    infrastructure_pid: Name | None = None
    worker_name: Name | None = None
    parameters: Parameters | None = None
    last_heartbeat: UTCDateTime | None = None


class CountsParams(Params):
    since: UTCDateTime | None = Field(None, description="default: 24 hours before `until`")
    until: UTCDateTime | None = Field(None, description="default: now")
    buckets: int = Field(24, ge=1, le=200)
    flow_name: Name | None = None
    deployment_id: Id | None = None
    work_pool_name: Name | None = None
    tags: list[Tag] = Field(default_factory=list)


class BucketOut(BaseModel):
    start: datetime
    end: datetime
    counts: dict[str, int]


class CountsOut(BaseModel):
    by_state: dict[str, int]
    buckets: list[BucketOut]
    late: int
    failed: int


# -- operations -----------------------------------------------------------------------------------


def list_flow_runs(session: Session, p: FlowRunFilter) -> dict[str, Any]:
    rows, nxt = flow_runs.list_flow_runs(session, limit=p.limit, cursor=p.cursor, sort=p.sort, **p.filters())
    return {"items": [run_to_dict(r) for r in rows], "next": nxt}


_FLOW_EXISTS = select(Flow.__table__.c.id).where(Flow.__table__.c.id == bindparam("id"))
_DEPLOYMENT_EXISTS = select(Deployment.__table__.c.id).where(Deployment.__table__.c.id == bindparam("id"))
_RUN_EXISTS = select(FlowRun.__table__.c.id).where(FlowRun.__table__.c.id == bindparam("id"))


def _exists(session: Session, stmt: Any, id_: str) -> bool:
    return session.connection().execute(stmt, {"id": id_}).first() is not None


def create_flow_run(session: Session, _: None, body: FlowRunCreate) -> dict[str, Any]:
    if body.flow_id and not _exists(session, _FLOW_EXISTS, body.flow_id):
        raise Invalid(f"no flow with id {body.flow_id}", field="flow_id")
    if body.deployment_id and not _exists(session, _DEPLOYMENT_EXISTS, body.deployment_id):
        raise Invalid(f"no deployment with id {body.deployment_id}", field="deployment_id")
    if body.id and _exists(session, _RUN_EXISTS, body.id):
        raise Conflict(f"a flow run with id {body.id} already exists", field="id")
    fields = {k: getattr(body, k) for k in body.model_fields_set if k != "state"}
    fields.setdefault("parameters", {})
    state = body.state.to_state() if body.state else None
    return run_values_to_dict(flow_runs.insert_flow_run(session, state=state, **fields))


#: the create fields the plain path writes; the others need the store's checks first (the flow,
#: the deployment, a run with that id, a run with that idempotency key)
_PLAIN_CREATE_FIELDS = frozenset(FlowRunCreate.model_fields) - {
    "flow_id",
    "deployment_id",
    "id",
    "idempotency_key",
}


def create_flow_run_plain(conn: Any, d: sqlwrite.Dialect, _: None, body: FlowRunCreate) -> Any:
    """`create_flow_run` on a plain DB-API connection (`Route.plain`): the store writes through
    the same `RunWriter`; only the store's existence checks need the session (PASS)."""
    if not body.model_fields_set <= _PLAIN_CREATE_FIELDS:
        return PASS
    fields = {k: getattr(body, k) for k in body.model_fields_set if k != "state"}
    fields.setdefault("parameters", {})
    state = body.state.to_state() if body.state else None
    values = RunWriter(conn, d).create_flow_run(state=state, **fields)
    return run_values_to_dict({**flow_runs.EMPTY_ROW, **values})


def read_flow_run(session: Session, p: ById) -> dict[str, Any]:
    return run_to_dict(flow_runs.read_flow_run(session, p.id))


def update_flow_run(session: Session, p: ById, body: FlowRunUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    for key in ("name", "tags", "parameters"):  # required columns: null means "leave as is"
        if fields.get(key, "") is None:
            del fields[key]
    return run_to_dict(flow_runs.update_flow_run(session, p.id, **fields))


def delete_flow_run(session: Session, p: ById) -> None:
    flow_runs.delete_flow_run(session, p.id)


def count_flow_runs(session: Session, p: CountsParams) -> dict[str, Any]:
    until = p.until or utcnow()
    since = p.since or until - timedelta(hours=24)
    if since >= until:
        raise Invalid("since must be before until", field="since")
    filters = p.model_dump(
        include={"flow_name", "deployment_id", "work_pool_name", "tags"}, exclude_defaults=True
    )
    by_state, slices = flow_runs.bucketed_counts(session, since, until, p.buckets, **filters)
    step = (until - since) / p.buckets
    buckets = [
        {"start": (since + step * i).isoformat(), "end": (since + step * (i + 1)).isoformat(), "counts": c}
        for i, c in enumerate(slices)
    ]
    buckets[-1]["end"] = until.isoformat()
    late = sum(
        flow_runs.count_flow_runs_by_state(
            session, state_type="SCHEDULED", state_name="Late", **filters
        ).values()
    )
    failed = by_state.get("FAILED", 0) + by_state.get("CRASHED", 0)
    return {"by_state": by_state, "buckets": buckets, "late": late, "failed": failed}


TAG = "flow_runs"
ROUTES = [
    Route(
        "GET",
        "/flow_runs",
        list_flow_runs,
        "List flow runs",
        TAG,
        params=FlowRunFilter,
        response=Page[FlowRunOut],
    ),
    Route(
        "POST",
        "/flow_runs",
        create_flow_run,
        "Create a flow run (the flow is created if new)",
        TAG,
        body=FlowRunCreate,
        response=FlowRunOut,
        status=201,
        plain=create_flow_run_plain,
    ),
    Route(
        "GET",
        "/flow_runs/counts",
        count_flow_runs,
        "Flow-run counts by state for the dashboard",
        TAG,
        params=CountsParams,
        response=CountsOut,
    ),
    Route("GET", "/flow_runs/{id}", read_flow_run, "Read a flow run", TAG, params=ById, response=FlowRunOut),
    Route(
        "PATCH",
        "/flow_runs/{id}",
        update_flow_run,
        "Change a flow run's descriptive fields",
        TAG,
        params=ById,
        body=FlowRunUpdate,
        response=FlowRunOut,
    ),
    Route("DELETE", "/flow_runs/{id}", delete_flow_run, "Delete a flow run", TAG, params=ById, status=204),
]
