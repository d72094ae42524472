"""Task runs as plain SQL: the engine's batches of task-run snapshots, states, edges and logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_orch.orchestration.sqlwrite.rows import (
    STATE_COLUMN_NAMES,
    Dialect,
    executemany_on,
    insert_rows,
)

#: the columns a later snapshot of the same task run overwrites (the name too: `task_run_name`
#: is rendered once the inputs are resolved, after the PENDING snapshot)
TASK_RUN_UPDATE_COLUMNS = (
    "name",
    *STATE_COLUMN_NAMES,
    "cache_key",
    "cache_expiration",
    "task_inputs",
    "updated",
)


def write_engine_rows(
    executemany: Callable[[str, list[tuple]], Any], d: Dialect, batch: dict[str, Any]
) -> dict[str, bool]:
    """The fast part of `apply_batch`: task-run snapshots (upserted, the newest wins) and their
    state rows, when they are full rows as the engine sends them. Which kinds were written."""
    memo: dict[int, Any] = {}
    done = {}
    runs = batch.get("task_runs") or []
    done["task_runs"] = not runs or insert_rows(
        executemany, d, "task_runs", runs, "id", TASK_RUN_UPDATE_COLUMNS, memo
    )
    states = batch.get("task_run_states") or []
    # states reference their runs: never written ahead of runs left to the general path
    done["task_run_states"] = not states or (
        done["task_runs"] and insert_rows(executemany, d, "task_run_states", states, "id", None, memo)
    )
    return done


class NotEngineRows(Exception):
    """A batch row is not a full engine row: roll back and take the general path."""


def write_batch(conn: Any, d: Dialect, batch: dict[str, Any]) -> None:
    """The whole of an engine batch when every row is a full engine row (task runs, states,
    edges, logs; no artifacts). Raises `NotEngineRows` otherwise, possibly after writing part of
    it: the caller rolls the transaction back and takes `store.task_runs.apply_batch`, which
    validates and fills in defaults."""
    if batch.get("artifacts"):
        raise NotEngineRows("artifacts")
    for row in batch.get("task_runs") or ():
        if not (row.get("id") and row.get("name") and row.get("task_key") and row.get("state_type")):
            raise NotEngineRows("task_runs")
        if not row.get("state_id"):
            raise NotEngineRows("task_runs")
    executemany = executemany_on(conn)
    memo: dict[int, Any] = {}
    for kind, table, conflict, update in (
        ("task_runs", "task_runs", "id", TASK_RUN_UPDATE_COLUMNS),
        ("task_run_states", "task_run_states", "id", None),
        ("edges", "task_run_edges", None, None),
        ("logs", "logs", None, None),
    ):
        rows = batch.get(kind)
        if rows and not insert_rows(executemany, d, table, rows, conflict, update, memo):
            raise NotEngineRows(kind)
