"""The in-process transport's plain-SQL forms of the engine's commonest requests.

Creating a flow run, proposing its states and writing the batches of task runs are what every
flow call does; in-process they run as `orchestration.sqlwrite` code on a DB-API connection (the
process's own `sqlite3` connection on SQLite, the session's driver connection on PostgreSQL)
instead of through the route table's validation and the SQLAlchemy store, which write through
the same `RunWriter` (state hooks included). Each answers exactly what the route's operation
answers, or `PASS` when the request needs the operation itself (a field the store checks first,
a state given as JSON, a row the store must fill in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_orch.client.batch import BATCH_KINDS
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.run_writer import PASS, RunWriter
from jupyter_orch.orchestration.serialize import run_values_to_dict
from jupyter_orch.states import State

#: the create fields written here; the others need the store's checks first (the flow, the
#: deployment, a run with that id, a run with that idempotency key)
_CREATE_FIELDS = frozenset(
    {"flow_name", "parameters", "state", "empirical_policy", "parameter_schema", "parent_task_run_id",
     "parent_flow_run_id", "tags", "name", "flow_version"}
)  # fmt: skip
_EMPTY_COLUMNS = ("worker_name", "infrastructure_pid", "last_heartbeat", "progress", "output_location")

#: plain(conn, dialect, path_id, body) -> answer or PASS
PlainOp = Callable[[Any, sqlwrite.Dialect, "str | None", Any], Any]


def create_flow_run(conn: Any, d: sqlwrite.Dialect, _: str | None, body: dict[str, Any]) -> Any:
    """`POST /flow_runs` for a run of a flow named in the request."""
    if not body.get("flow_name") or set(body) - _CREATE_FIELDS:
        return PASS
    if not isinstance(body.get("state"), (State, type(None))):
        return PASS  # a state as JSON: the route validates it
    parameters = body.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        return PASS  # the route answers 422 naming the field
    fields = dict(body)
    fields.setdefault("parameters", {})
    values = RunWriter(conn, d).create_flow_run(**fields)
    assert values is not None  # None only for an idempotency key, which goes to the route
    return run_values_to_dict({**values, **dict.fromkeys(_EMPTY_COLUMNS)})


def set_flow_run_state(conn: Any, d: sqlwrite.Dialect, run_id: str | None, body: dict[str, Any]) -> Any:
    """`POST /flow_runs/{id}/set_state` of a `State`."""
    state = body.get("state")
    if not isinstance(state, State) or run_id is None:  # a state as JSON: the route validates it
        return PASS
    return RunWriter(conn, d).set_flow_run_state(run_id, state, force=bool(body.get("force"))).to_dict()


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
