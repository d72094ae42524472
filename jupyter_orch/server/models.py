"""Prefect's `prefect.server.models` reads that tests of flows use, over this process's client
(the `session` they take is accepted and unused: the client reaches the database itself):
`flow_runs.read_flow_run`, `flow_runs.read_task_run_dependencies`, `task_runs.read_task_run`."""

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


async def _read_flow_run(session: Any = None, flow_run_id: Any = None) -> Any:
    return SyncPrefectClient().read_flow_run(flow_run_id)


async def _read_task_run(session: Any = None, task_run_id: Any = None) -> Any:
    return SyncPrefectClient().read_task_run(task_run_id)


flow_runs = SimpleNamespace(
    read_flow_run=_read_flow_run, read_task_run_dependencies=read_task_run_dependencies
)
task_runs = SimpleNamespace(read_task_run=_read_task_run)

__all__ = ["flow_runs", "task_runs"]
