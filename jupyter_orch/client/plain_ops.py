"""The in-process transport's plain-SQL forms of the engine's commonest requests.

Creating a flow run, proposing its states and writing the batches of task runs are what every
flow call does; in-process they run as `orchestration.sqlwrite` code on a DB-API connection (the
process's own `sqlite3` connection on SQLite, the session's driver connection on PostgreSQL)
instead of through the route table's validation and the SQLAlchemy store, which write through
the same `sqlwrite` code. Each answers exactly what the route's operation answers, or `PASS`
when the request needs the operation itself (a field the store checks first, a state-change
hook with work, a row the store must fill in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_orch.client.batch import BATCH_KINDS
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.serialize import run_values_to_dict
from jupyter_orch.orchestration.sqlwrite.hooks import hooks_have_work
from jupyter_orch.states import State

#: what a plain operation answers when the request must go through the route's operation
PASS = object()

#: the create fields written here; the others need the store's checks first (the flow, the
#: deployment, a run with that id, a run with that idempotency key)
_CREATE_FIELDS = frozenset(
    {"flow_name", "parameters", "state", "empirical_policy", "parameter_schema", "parent_task_run_id",
     "parent_flow_run_id", "tags", "name"}
)  # fmt: skip
_EMPTY_COLUMNS = ("worker_name", "infrastructure_pid", "last_heartbeat", "progress", "output_location")

#: plain(conn, dialect, path_id, body) -> answer or PASS
PlainOp = Callable[[Any, sqlwrite.Dialect, "str | None", Any], Any]


def _state(value: Any) -> State | None:
    return State.from_dict(value) if isinstance(value, dict) else value


def create_flow_run(conn: Any, d: sqlwrite.Dialect, _: str | None, body: dict[str, Any]) -> Any:
    """`POST /flow_runs` for a run of a flow named in the request, with no hook to run."""
    if not body.get("flow_name") or set(body) - _CREATE_FIELDS:
        return PASS
    parameters = body.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        return PASS  # the route answers 422 naming the field
    if hooks_have_work(conn):
        return PASS
    fields = dict(body)
    fields["state"] = _state(fields.get("state"))
    fields.setdefault("parameters", {})
    values = sqlwrite.create_flow_run(conn, d, **fields)
    return run_values_to_dict({**values, **dict.fromkeys(_EMPTY_COLUMNS)})


def set_flow_run_state(conn: Any, d: sqlwrite.Dialect, run_id: str | None, body: dict[str, Any]) -> Any:
    """`POST /flow_runs/{id}/set_state` with no hook to run."""
    state = _state(body.get("state"))
    if not isinstance(state, State) or hooks_have_work(conn):
        return PASS
    return sqlwrite.set_flow_run_state(conn, d, run_id, state, force=bool(body.get("force"))).to_dict()


def apply_task_run_batch(conn: Any, d: sqlwrite.Dialect, _: str | None, body: dict[str, Any]) -> Any:
    """`POST /task_runs/batch` of the engine's full rows (`sqlwrite.NotEngineRows` otherwise: the
    caller rolls back and the route's operation validates and fills in defaults)."""
    if body.get("batch_id") is not None:
        return PASS
    sqlwrite.write_batch(conn, d, body)
    return {kind: len(body.get(kind) or ()) for kind in BATCH_KINDS}


def list_concurrency_limits(conn: Any, d: sqlwrite.Dialect, _: str | None, body: Any) -> Any:
    """`GET /concurrency_limits` when there is none (what a flow call asks once per run)."""
    if conn.execute("SELECT 1 FROM concurrency_limits LIMIT 1").fetchone() is not None:
        return PASS
    return {"items": [], "next": None}


def match(method: str, path: str) -> tuple[PlainOp, str | None, bool] | None:
    """The plain operation for a request (with the run id of its path, and whether it writes)."""
    if method == "POST":
        if path == "flow_runs":
            return create_flow_run, None, True
        if path == "task_runs/batch":
            return apply_task_run_batch, None, True
        if path.startswith("flow_runs/") and path.endswith("/set_state"):
            run_id = path[len("flow_runs/") : -len("/set_state")]
            if run_id and "/" not in run_id:
                return set_flow_run_state, run_id, True
    elif method == "GET" and path == "concurrency_limits":
        return list_concurrency_limits, None, False
    return None
