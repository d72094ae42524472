"""A flow run's task graph: in full (every task-run field, edges with their kinds), and as the run
page draws it (`/graph/slim`: a few fields per task run, each with its upstream ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_orch.api.models import ById
from jupyter_orch.api.resources.flow_runs import FlowRunOut
from jupyter_orch.api.resources.task_runs import TaskRunOut
from jupyter_orch.api.routing import Route
from jupyter_orch.db.models import FlowRun
from jupyter_orch.orchestration.serialize import run_to_dict
from jupyter_orch.orchestration.store import flow_runs, run_graph, task_runs
from jupyter_orch.states import StateType


class EdgeOut(BaseModel):
    upstream_id: str
    downstream_id: str
    kind: str


class GraphOut(BaseModel):
    task_runs: list[TaskRunOut]
    edges: list[EdgeOut]
    subflow_runs: list[FlowRunOut]


class RunSummaryOut(BaseModel):
    """What the run page shows of a task run or subflow run beside a link to it."""

    id: str
    name: str
    state_type: StateType | None = None
    state_name: str | None = None


class GraphTaskOut(RunSummaryOut):
    run_count: int
    start_time: datetime | None = None
    end_time: datetime | None = None
    upstream: list[str] = Field(
        description="ids of the task runs this one depends on (data or wait_for), each once"
    )


class GraphSubflowOut(RunSummaryOut):
    flow_name: str


class SlimGraphOut(BaseModel):
    task_runs: list[GraphTaskOut] = Field(description="oldest first, as in the full graph")
    subflow_runs: list[GraphSubflowOut]


def read_flow_run_graph(session: Session, p: ById) -> dict[str, Any]:
    flow_runs.read_flow_run(session, p.id)
    runs: list[Any] = []
    cursor = None
    while True:
        page, cursor = task_runs.list_task_runs(
            session, flow_run_id=p.id, limit=500, cursor=cursor, order="asc"
        )
        runs.extend(page)
        if cursor is None:
            break
    subflows = session.scalars(
        select(FlowRun).where(FlowRun.parent_flow_run_id == p.id).order_by(FlowRun.created, FlowRun.id)
    )  # indexed (ix_flow_runs_parent_flow_run)
    edges = task_runs.edges_of_flow_run(session, p.id)
    return {
        "task_runs": [run_to_dict(r) for r in runs],
        "edges": [
            {"upstream_id": e.upstream_id, "downstream_id": e.downstream_id, "kind": e.kind} for e in edges
        ],
        "subflow_runs": [run_to_dict(r) for r in subflows],
    }


def read_flow_run_graph_slim(session: Session, p: ById) -> dict[str, Any]:
    return run_graph.task_graph(session, p.id)


TAG = "flow_runs"
ROUTES = [
    Route(
        "GET",
        "/flow_runs/{id}/graph",
        read_flow_run_graph,
        "Task runs, dependency edges and subflows",
        TAG,
        params=ById,
        response=GraphOut,
    ),
    Route(
        "GET",
        "/flow_runs/{id}/graph/slim",
        read_flow_run_graph_slim,
        "The task graph as the run page draws it: each task run's name, state and times with the "
        "ids of those it depends on, and the subflows",
        TAG,
        params=ById,
        response=SlimGraphOut,
    ),
]
