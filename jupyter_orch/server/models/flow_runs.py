"""Prefect's `prefect.server.models.flow_runs`, over this process's client (the `session` is
accepted and unused): `read_flow_run`, `read_task_run_dependencies`, and `update_flow_run`,
which writes the run's row in this process's database directly (as Prefect's server-side
function, any field: its tests move a run to a deployment with it)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from jupyter_orch.client.orchestration import SyncPrefectClient


async def read_task_run_dependencies(session: Any = None, flow_run_id: Any = None) -> list[SimpleNamespace]:
    """Each task run of the flow run with its `upstream_dependencies` (runs whose results or
    completion it waited for), in the order the engine recorded them."""
    client = SyncPrefectClient()
    graph = client._fresh().get(f"flow_runs/{flow_run_id}/graph")
    upstream: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        ups = upstream.setdefault(edge["downstream_id"], [])
        if edge["upstream_id"] not in ups:
            ups.append(edge["upstream_id"])
    nodes = []
    for run in graph["task_runs"]:
        task_run = client.read_task_run(run["id"])
        deps = [SimpleNamespace(id=client.read_task_run(up).id) for up in upstream.get(run["id"], [])]
        nodes.append(SimpleNamespace(id=task_run.id, task_run=task_run, upstream_dependencies=deps))
    return nodes


async def read_flow_run(session: Any = None, flow_run_id: Any = None) -> Any:
    return SyncPrefectClient().read_flow_run(flow_run_id)


async def update_flow_run(session: Any = None, flow_run_id: Any = None, flow_run: Any = None) -> bool:
    """Set the fields `flow_run` carries (a `FlowRun.model_construct(deployment_id=...)`) on the
    run's row; True if the run exists."""
    # SQLAlchemy and the store: only this server-side write needs them
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.orchestration.errors import NotFound
    from jupyter_orch.orchestration.store import flow_runs as store
    from jupyter_orch.settings import get_settings

    client = SyncPrefectClient()
    client.orch.flush()
    fields = {k: str(v) if k.endswith("_id") and v is not None else v for k, v in vars(flow_run).items()}
    try:
        with session_scope(get_settings().database_url) as s:
            run = store.read_flow_run(s, str(flow_run_id))
            for key, value in fields.items():
                setattr(run, key, value)
    except NotFound:
        return False
    return True


__all__ = ["read_flow_run", "read_task_run_dependencies", "update_flow_run"]
