"""Task runs: written in batches by the engine, read one at a time or by flow run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import AppliedBatch, Artifact, Log, TaskRun, TaskRunEdge, TaskRunState, utcnow
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store import query
from jupyter_orch.orchestration.store.bulk import executemany_of
from jupyter_orch.orchestration.store.query import as_list, paginate, parse_time, tags_contain
from jupyter_orch.orchestration.store.upsert import insert_ignore, upsert

TASK_RUN_UPDATE_COLUMNS = sqlwrite.TASK_RUN_UPDATE_COLUMNS
TIME_FIELDS = (
    "state_timestamp",
    "start_time",
    "end_time",
    "cache_expiration",
    "created",
    "updated",
    "timestamp",
)


def _times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that came over JSON carry ISO strings; the database wants datetimes."""
    for row in rows:
        for key in TIME_FIELDS:
            value = row.get(key)
            if isinstance(value, str):
                row[key] = parse_time(value, key)
    return rows


#: batch kind -> (the general path's statement for its rows, whether its rows carry ISO times);
#: in the order they are written (states and edges after the runs they name)
_GENERAL_PATH: dict[str, tuple[Callable[[Session], Any], bool]] = {
    "task_runs": (lambda s: upsert(s, TaskRun, ["id"], TASK_RUN_UPDATE_COLUMNS), True),
    "task_run_states": (lambda s: insert_ignore(s, TaskRunState, ["id"]), True),
    "edges": (lambda s: TaskRunEdge.__table__.insert(), False),
    "logs": (lambda s: Log.__table__.insert(), True),
    "artifacts": (lambda s: insert_ignore(s, Artifact, ["id"]), True),
}
_REQUIRED_TASK_RUN_KEYS = ("id", "name", "task_key", "state_type", "state_id")


def _check_task_runs(task_runs: list[dict[str, Any]]) -> None:
    for row in task_runs:
        for key in _REQUIRED_TASK_RUN_KEYS:
            if not row.get(key):
                raise Invalid(f"task_runs[].{key} is required", field=f"task_runs.{key}")


def apply_batch(session: Session, batch: dict[str, Any]) -> dict[str, int]:
    """Write what the engine buffered: task-run snapshots (upserted: the newest wins), their
    state history, dependency edges, logs and artifacts. Replaying a batch changes nothing."""
    _check_task_runs(batch.get("task_runs") or [])
    # the engine's full rows take the fast path; partial ones (defaults to fill) the general one
    target = executemany_of(session)
    done = sqlwrite.write_engine_rows(*target, batch) if target is not None else {}
    counts = {}
    for kind, (statement, timed) in _GENERAL_PATH.items():
        rows = batch.get(kind) or []
        counts[kind] = len(rows)
        if rows and not done.get(kind):
            copies = [dict(r) for r in rows]
            session.execute(statement(session), _times(copies) if timed else copies)
    return counts


#: applied batch ids are kept this long (a client retries a lost answer long before that)
BATCH_ID_RETENTION = timedelta(days=1)
#: seconds between prunes of old batch ids, per process
BATCH_ID_PRUNE_INTERVAL = 600.0
_last_prune = 0.0
_APPLIED = AppliedBatch.__table__
_PRUNE_BATCH_IDS = delete(_APPLIED).where(_APPLIED.c.applied_at < bindparam("before"))


def claim_batch_id(session: Session, batch_id: str) -> bool:
    """Record `batch_id` as applied in this transaction; False if it already was (skip the batch).

    The insert is the check: a concurrent replay waits on the first one's row (PostgreSQL) or on
    the write lock (SQLite) and then finds it, so a batch is applied at most once. If the batch
    fails, the transaction rolls back and the id with it, so a retry applies it.
    """
    global _last_prune
    now = utcnow()
    stmt = insert_ignore(session, AppliedBatch, ["id"]).execution_options(preserve_rowcount=True)
    inserted = session.connection().execute(stmt, {"id": batch_id, "applied_at": now}).rowcount
    mono = time.monotonic()
    if mono - _last_prune >= BATCH_ID_PRUNE_INTERVAL:
        _last_prune = mono
        session.execute(_PRUNE_BATCH_IDS, {"before": now - BATCH_ID_RETENTION})
    return inserted == 1


def read_task_run(session: Session, task_run_id: str) -> TaskRun:
    return query.read_by_id(session, TaskRun, task_run_id, "task run")


def task_run_states(session: Session, task_run_id: str) -> list[TaskRunState]:
    read_task_run(session, task_run_id)
    return query.run_states(session, TaskRunState, TaskRunState.task_run_id, task_run_id)


def list_task_runs(
    session: Session,
    flow_run_id: str | None = None,
    name: str | None = None,
    state_type: Any = None,
    tags: Any = None,
    limit: int | None = None,
    cursor: str | None = None,
    order: str = "desc",
) -> tuple[list[TaskRun], str | None]:
    stmt = query.select_equal(TaskRun, flow_run_id=flow_run_id, name=name)
    types = [str(t).upper() for t in as_list(state_type)]
    if types:
        stmt = stmt.where(TaskRun.state_type.in_(types))
    if as_list(tags):
        stmt = stmt.where(tags_contain(session, TaskRun.tags, as_list(tags)))
    return paginate(session, stmt, TaskRun, limit, cursor, order=order)


def edges_of_flow_run(session: Session, flow_run_id: str) -> list[TaskRunEdge]:
    return list(session.scalars(select(TaskRunEdge).where(TaskRunEdge.flow_run_id == flow_run_id)))


def find_cached(session: Session, cache_key: str, now: datetime) -> TaskRun | None:
    """The newest completed task run with `cache_key` whose cache has not expired."""
    stmt = (
        select(TaskRun)
        .where(
            TaskRun.cache_key == cache_key,
            TaskRun.state_type == "COMPLETED",
            or_(TaskRun.cache_expiration.is_(None), TaskRun.cache_expiration > now),
        )
        .order_by(TaskRun.state_timestamp.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()
