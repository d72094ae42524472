"""Flow run inputs, and resuming a paused flow run with one.

A pause is a PAUSED state whose data names its key and whether the run must be rescheduled
(`Suspended`: its process ended; it is re-run from the top) or continues in its process
(`Paused`: the flow is polling for RUNNING). Its scheduled time is when the pause expires. A pause
that waits for input has stored the JSON schema under `<key>-schema`; resuming validates the input
against it (jsonschema) and stores it under `<key>-response` in the same transaction as the state.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import FlowRun, FlowRunInput, new_id, utcnow
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.errors import Conflict, Invalid, NotFound
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.orchestration.store.upsert import insert_ignore
from jupyter_orch.states import Running, Scheduled


def create_input(
    session: Session, run_id: str, key: str, value: Any, sender: str | None = None
) -> dict[str, Any]:
    """Store `value` under `key` for the run; a key is written once (a second write is a 409)."""
    flow_runs.read_flow_run(session, run_id)  # 404 for an unknown run
    row = {
        "id": new_id(),
        "flow_run_id": run_id,
        "key": key,
        "value": value,
        "sender": sender,
        "created": utcnow(),
    }
    stmt = insert_ignore(session, FlowRunInput, ["flow_run_id", "key"]).values(**row)
    if session.execute(stmt.returning(FlowRunInput.id)).scalar() is None:  # the key was there
        raise Conflict(f"flow run input {key!r} already exists", field="key")
    return read_input(session, run_id, key)


def find_input(session: Session, run_id: str, key: str) -> dict[str, Any] | None:
    stmt = select(FlowRunInput).where(FlowRunInput.flow_run_id == run_id, FlowRunInput.key == key)
    row = session.scalars(stmt).first()
    return row_to_dict(row) if row is not None else None


def read_input(session: Session, run_id: str, key: str) -> dict[str, Any]:
    found = find_input(session, run_id, key)
    if found is None:
        raise NotFound(f"flow run {run_id} has no input {key!r}", field="key")
    return found


def delete_input(session: Session, run_id: str, key: str) -> None:
    read_input(session, run_id, key)
    session.execute(delete(FlowRunInput).where(FlowRunInput.flow_run_id == run_id, FlowRunInput.key == key))


def pause_details(run: Any) -> dict[str, Any]:
    """The pause's key, whether it reschedules, and when it expires (None if not paused)."""
    data = (run.state_data or {}).get("result") if isinstance(run.state_data, dict) else None
    details = dict(data) if isinstance(data, dict) else {}
    expires = (run.state_data or {}).get("scheduled_time") if isinstance(run.state_data, dict) else None
    details["expires"] = datetime.fromisoformat(expires) if isinstance(expires, str) else expires
    return details


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=timezone.utc) if when is not None and when.tzinfo is None else when


def _validate(schema: dict[str, Any], value: Any) -> None:
    """A 422 naming the first field of `value` that `schema` refuses."""
    import jsonschema  # imported on a resume with input only (it loads many validators)

    validator = jsonschema.Draft202012Validator(schema)
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: list(e.path))), None)
    if error is not None:
        where = ".".join(str(p) for p in ["run_input", *error.path])
        raise Invalid(f"{where}: {error.message}", field=where)


def resume_flow_run(session: Session, run_id: str, run_input: dict[str, Any] | None) -> rules.Decision:
    """Resume a paused run (with the input it waits for): RUNNING for a pause, SCHEDULED for a
    suspension, so a worker starts it again."""
    run = flow_runs.read_flow_run(session, run_id)
    if run.state_type != "PAUSED":
        raise Conflict(f"flow run {run_id} is {run.state_name}, not paused", field="id")
    details = pause_details(run)
    expires = _aware(details.get("expires"))
    if expires is not None and expires < datetime.now(timezone.utc):
        raise Conflict(f"the pause of flow run {run_id} expired at {expires.isoformat()}", field="id")
    key = details.get("pause_key") or "paused"
    schema = find_input(session, run_id, f"{key}-schema")
    if schema is not None and schema["value"]:
        if run_input is None:
            raise Invalid("run_input: this run waits for input; send it as run_input", field="run_input")
        _validate(schema["value"], run_input)
    if run_input is not None:
        create_input(session, run_id, f"{key}-response", run_input, sender="resume")
    state = Scheduled(name="Resuming") if details.get("pause_reschedule") else Running(name="Resuming")
    return flow_runs.set_flow_run_state(session, run_id, state)


def expired_suspensions(session: Session, now: datetime, limit: int = 500) -> list[str]:
    """Suspended runs (no process waits for them) whose pause expired: the late-runs service
    fails them, as a paused flow's own process fails itself when its pause times out."""
    stmt = select(FlowRun).where(FlowRun.state_type == "PAUSED").limit(limit)
    out = []
    for run in session.scalars(stmt):
        details = pause_details(run)
        expires = _aware(details.get("expires"))
        if details.get("pause_reschedule") and expires is not None and expires < now:
            out.append(run.id)
    return out
