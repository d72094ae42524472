"""A flow run's task graph as the run page draws it: a few columns per task run, not whole rows.

The full graph (`GET /flow_runs/{id}/graph`) loads every task run as an ORM object and serializes
every column with its nested state: for 1,000 task runs ~1 MB and, on a loaded machine, a few
hundred ms of server time. The page draws a name, a state and two times per task run and lays the
edges out by id, so this reads just those columns (Core selects, no ORM objects) and hands each
task run the ids of the task runs it depends on instead of a separate edge list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import FlowRun, TaskRun, TaskRunEdge
from jupyter_orch.orchestration.store.query import found

_RUN = select(FlowRun.id).where(FlowRun.id == bindparam("run"))
# the full graph's order (created, then id): ix_task_runs_flow_run_created
_TASKS = (
    select(
        TaskRun.id,
        TaskRun.name,
        TaskRun.run_count,
        TaskRun.state_type,
        TaskRun.state_name,
        TaskRun.start_time,
        TaskRun.end_time,
    )
    .where(TaskRun.flow_run_id == bindparam("run"))
    .order_by(TaskRun.created, TaskRun.id)
)
_EDGES = (
    select(TaskRunEdge.upstream_id, TaskRunEdge.downstream_id)
    .where(TaskRunEdge.flow_run_id == bindparam("run"))
    .order_by(TaskRunEdge.id)
)  # ix_task_run_edges_flow_run
_SUBFLOWS = (
    select(FlowRun.id, FlowRun.name, FlowRun.flow_name, FlowRun.state_type, FlowRun.state_name)
    .where(FlowRun.parent_flow_run_id == bindparam("run"))
    .order_by(FlowRun.created, FlowRun.id)
)  # ix_flow_runs_parent_flow_run


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def task_graph(session: Session, flow_run_id: str) -> dict[str, Any]:
    """`{"task_runs": [...], "subflow_runs": [...]}` of the run (NotFound without one); each task
    run lists its `upstream` task-run ids once each, whatever the edges' kinds (data, wait_for)."""
    conn = session.connection()
    args = {"run": flow_run_id}
    found(conn.execute(_RUN, args).first(), f"no flow run with id {flow_run_id}", "id")
    upstream: dict[str, dict[str, None]] = {}  # an ordered set per task run
    for up, down in conn.execute(_EDGES, args):
        upstream.setdefault(down, {})[up] = None
    tasks = [
        {
            "id": id_,
            "name": name,
            "run_count": run_count,
            "state_type": state_type,
            "state_name": state_name,
            "start_time": _iso(start),
            "end_time": _iso(end),
            "upstream": list(upstream.get(id_, ())),
        }
        for id_, name, run_count, state_type, state_name, start, end in conn.execute(_TASKS, args)
    ]
    subflows = [dict(row._mapping) for row in conn.execute(_SUBFLOWS, args)]
    return {"task_runs": tasks, "subflow_runs": subflows}
