"""Background task runs (`task.delay(...)`): SCHEDULED task runs of no flow run, waiting for a
task worker that serves their task. A worker claims them here, each by a compare-and-set of the
row's current state, so two workers never run the same one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jupyter_orch.db.models import TaskRun, new_id
from jupyter_orch.orchestration.errors import Invalid

#: the state name a background run waits in (a retry's AwaitingRetry is never claimed: the
#: process running it holds it)
WAITING_STATE = "Scheduled"
MAX_CLAIM = 100


def claim_background_task_runs(
    session: Session, task_keys: list[str], limit: int, now: datetime, worker: str | None = None
) -> list[dict[str, Any]]:
    """Move up to `limit` waiting background runs of `task_keys` to PENDING (oldest first);
    each as `{"id", "name", "task_key", "dynamic_key", "tags", "scheduled": <its state data>}`."""
    if not task_keys:
        raise Invalid("task_keys must name at least one task", field="task_keys")
    if not 1 <= limit <= MAX_CLAIM:
        raise Invalid(f"limit must be from 1 to {MAX_CLAIM}", field="limit")
    candidates = session.execute(
        select(TaskRun.id, TaskRun.state_id, TaskRun.state_data)
        .where(
            TaskRun.flow_run_id.is_(None),
            TaskRun.state_type == "SCHEDULED",
            TaskRun.state_name == WAITING_STATE,
            TaskRun.task_key.in_(task_keys),
        )
        .order_by(TaskRun.created, TaskRun.id)
        .limit(limit * 2)  # some may be taken by another worker meanwhile
    ).all()
    claimed_ids = []
    scheduled: dict[str, Any] = {}
    for run_id, state_id, data in candidates:
        if len(claimed_ids) >= limit:
            break
        result = session.execute(
            update(TaskRun)
            .where(TaskRun.id == run_id, TaskRun.state_id == state_id)
            .values(
                state_id=new_id(),
                state_type="PENDING",
                state_name="Pending",
                state_message=f"claimed by task worker {worker}" if worker else "claimed by a task worker",
                state_timestamp=now,
                updated=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed_ids.append(run_id)
            scheduled[run_id] = data
    if not claimed_ids:
        return []
    rows = session.execute(
        select(TaskRun.id, TaskRun.name, TaskRun.task_key, TaskRun.dynamic_key, TaskRun.tags).where(
            TaskRun.id.in_(claimed_ids)
        )
    ).all()
    by_id = {
        r.id: {
            "id": r.id,
            "name": r.name,
            "task_key": r.task_key,
            "dynamic_key": r.dynamic_key,
            "tags": r.tags,
        }
        for r in rows
    }
    return [{**by_id[i], "scheduled": scheduled[i]} for i in claimed_ids]
