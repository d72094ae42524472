"""The API's hot writes (create a flow run, propose a state) in plain SQL on the session's connection.

`orchestration.sqlwrite` holds the engine's SQLAlchemy-free write path: the same rows, the same
rules and the same compare-and-set as the store, without building SQLAlchemy statements. The API
uses it inside its own transaction (the session's DB-API connection, so the group-commit
savepoints and the commit are unchanged) whenever the store would do nothing more: no field that
only the store handles, and no state-change hook with work to do (the guards of
`engine.client.lite`: a notification policy exists, a concurrency slot is held, or a hook is
installed that has no guard). Otherwise the caller takes the store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from jupyter_orch.db.models import FlowRun
from jupyter_orch.engine.client.lite import HOOK_GUARDS, hook_name
from jupyter_orch.orchestration import rules, sqlwrite
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.states import State

#: fields of a create that `sqlwrite.create_flow_run` writes exactly as the store does
CREATE_FIELDS = frozenset(
    {"flow_name", "name", "parameters", "tags", "id", "deployment_id", "deployment_name",
     "parent_task_run_id", "parent_flow_run_id", "empirical_policy", "work_pool_name",
     "work_queue_name", "job_variables", "parameter_schema"}
)  # fmt: skip
_EMPTY_ROW: dict[str, Any] = {c.key: None for c in FlowRun.__table__.columns}


def _plain(session: Session) -> tuple[Any, sqlwrite.Dialect] | None:
    """(the session's DB-API connection, its sqlwrite dialect) when no state-change hook has
    work, else None (the store's path runs the hooks)."""
    conn = session.connection()
    name = conn.dialect.name
    if name not in ("sqlite", "postgresql"):
        return None
    if any(hook_name(h) not in HOOK_GUARDS for h in flow_runs.STATE_CHANGE_HOOKS):
        return None
    raw = conn.connection.driver_connection
    if raw.execute(_ANY_GUARD).fetchone() is not None:
        return None
    return raw, sqlwrite.dialect(name)


#: every guard in one query (one round trip): a row when any hook may have work
_ANY_GUARD = "SELECT 1 WHERE " + " OR ".join(f"EXISTS ({sql})" for sql in HOOK_GUARDS.values())


def create_flow_run(session: Session, state: State | None, fields: dict[str, Any]) -> dict[str, Any] | None:
    """The new run's columns (as `store.flow_runs.insert_flow_run` returns them), or None: use the store."""
    if not fields.get("flow_name") or not set(fields) <= CREATE_FIELDS:
        return None
    target = _plain(session)
    if target is None:
        return None
    values = sqlwrite.create_flow_run(*target, state=state, **fields)
    return {**_EMPTY_ROW, **values}


def set_flow_run_state(session: Session, run_id: str, proposed: State, force: bool) -> rules.Decision | None:
    """The rules' decision, an accepted state written with a compare-and-set; None: use the store."""
    target = _plain(session)
    if target is None:
        return None
    return sqlwrite.set_flow_run_state(*target, run_id, proposed, force=force)
