"""Logs (oldest first; `after_id` to follow a run) and artifacts of runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Count, Id, Int64, Page, Params
from jupyter_orch.api.resources.task_runs import LogRow
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import logs
from jupyter_orch.states import utcnow


class LogOut(BaseModel):
    id: int
    flow_run_id: str | None = None
    task_run_id: str | None = None
    name: str
    level: int
    message: str
    timestamp: datetime


class LogFilter(Params):
    flow_run_id: Id | None = None
    task_run_id: Id | None = None
    level_ge: Int64 | None = Field(None, description="only records at or above this level (20 = INFO)")
    after_id: Int64 | None = Field(None, description="only records with a larger id (follow a run's logs)")
    limit: int = Field(200, ge=1, le=500)
    cursor: str | None = Field(None, max_length=32, description="the `next` of the previous page")


def list_logs(session: Session, p: LogFilter) -> dict[str, Any]:
    after = p.after_id
    if p.cursor is not None:
        if not p.cursor.isdigit():
            raise Invalid("cursor is not one this server issued", field="cursor")
        after = max(after or 0, int(p.cursor))
    rows = logs.list_logs(
        session,
        flow_run_id=p.flow_run_id,
        task_run_id=p.task_run_id,
        level_ge=p.level_ge,
        after_id=after,
        limit=p.limit,
    )
    nxt = str(rows[-1].id) if len(rows) == p.limit else None
    return {"items": [row_to_dict(r) for r in rows], "next": nxt}


def create_logs(session: Session, _: None, body: list[LogRow]) -> dict[str, int]:
    now = utcnow()
    rows = [r.model_dump() for r in body]  # every row with the same keys: one executemany
    for row in rows:
        row["timestamp"] = row["timestamp"] or now
    return {"count": logs.create_logs(session, rows)}


TAG = "logs"
ROUTES = [
    Route("GET", "/logs", list_logs, "Logs, oldest first", TAG, params=LogFilter, response=Page[LogOut]),
    Route(
        "POST",
        "/logs",
        create_logs,
        "Write log records",
        TAG,
        body=list[LogRow],
        response=Count,
        status=201,
        batch=True,
    ),
]
