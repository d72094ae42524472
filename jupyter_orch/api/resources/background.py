"""Background task runs: a task worker (`jupyter_orch.task_worker.serve`) claims the task runs
that `task.delay(...)` scheduled for the tasks it serves."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Name, Strict
from jupyter_orch.api.routing import Route
from jupyter_orch.db.models import utcnow
from jupyter_orch.orchestration.store import background


class ClaimIn(Strict):
    task_keys: list[Name] = Field(min_length=1, max_length=1000)
    limit: int = Field(default=1, ge=1, le=background.MAX_CLAIM)
    worker: Name | None = None


class ClaimedRun(BaseModel):
    id: str
    name: str
    task_key: str
    dynamic_key: str
    tags: list[str] = []
    scheduled: Any = None


def claim(session: Session, _: None, body: ClaimIn) -> list[dict[str, Any]]:
    return background.claim_background_task_runs(session, body.task_keys, body.limit, utcnow(), body.worker)


ROUTES = [
    Route(
        "POST",
        "/task_runs/background/claim",
        claim,
        "Claim waiting background task runs of the given tasks (each moves to PENDING for one worker)",
        "task_runs",
        body=ClaimIn,
        response=list[ClaimedRun],
    ),
]
