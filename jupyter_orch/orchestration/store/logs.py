"""Logs and artifacts of runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from jupyter_orch.db.models import Artifact, Log, new_id, utcnow
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store.query import check_choice, check_limit, found, paginate, select_equal
from jupyter_orch.orchestration.store.task_runs import _times


def create_logs(session: Session, records: list[dict[str, Any]]) -> int:
    rows = _times([dict(r) for r in records])
    for i, row in enumerate(rows):
        if not isinstance(row.get("message"), str):
            raise Invalid(f"logs[{i}].message must be a string", field="message")
        row.setdefault("timestamp", utcnow())
        row.setdefault("level", 20)
        row.setdefault("name", "jupyter_orch")
        row.pop("id", None)
    if rows:
        session.execute(Log.__table__.insert(), rows)
    return len(rows)


def list_logs(
    session: Session,
    flow_run_id: str | None = None,
    task_run_id: str | None = None,
    level_ge: int | None = None,
    after_id: int | None = None,
    limit: int | None = 200,
) -> list[Log]:
    """Logs oldest first; `after_id` returns only newer ones (for following a run's logs)."""
    limit = check_limit(limit)
    stmt = select_equal(Log, flow_run_id=flow_run_id, task_run_id=task_run_id)
    if level_ge is not None:
        stmt = stmt.where(Log.level >= int(level_ge))
    if after_id is not None:
        stmt = stmt.where(Log.id > int(after_id))
    return list(session.scalars(stmt.order_by(Log.id.asc()).limit(limit)))


ARTIFACT_TYPES = ("markdown", "table", "link", "notebook", "progress", "image", "rich")


def create_artifact(session: Session, **fields: Any) -> Artifact:
    check_choice(fields.get("type"), ARTIFACT_TYPES, "type")
    if fields["type"] == "progress":
        fields["data"] = progress_value(fields.get("data"))
    artifact = Artifact(id=fields.pop("id", None) or new_id(), **fields)
    session.add(artifact)
    session.flush()
    return artifact


def list_artifacts(
    session: Session,
    flow_run_id: str | None = None,
    task_run_id: str | None = None,
    key: str | None = None,
    type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Artifact], str | None]:
    stmt = select_equal(Artifact, flow_run_id=flow_run_id, task_run_id=task_run_id, key=key, type=type)
    return paginate(session, stmt, Artifact, limit, cursor)


def read_artifact(session: Session, artifact_id: str) -> Artifact:
    return found(session.get(Artifact, artifact_id), f"artifact {artifact_id} not found", "id")


def update_artifact(session: Session, artifact_id: str, **fields: Any) -> Artifact:
    """Change an artifact's `data` and/or `description` (a progress artifact's progress)."""
    artifact = read_artifact(session, artifact_id)
    unknown = set(fields) - {"data", "description"}
    if unknown:
        raise Invalid(f"only data and description can change, not {', '.join(sorted(unknown))}", field="body")
    if artifact.type == "progress" and "data" in fields:
        fields["data"] = progress_value(fields["data"])
    for name, value in fields.items():
        setattr(artifact, name, value)
    session.flush()
    return artifact


def progress_value(value: Any) -> float:
    """A progress artifact's data: a percentage from 0 to 100."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise Invalid(f"progress must be a number from 0 to 100, got {value!r}", field="data")
    return float(value)
