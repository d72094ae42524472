"""Helpers for engine tests: read what the engine recorded back through the store functions."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.serialize import row_to_dict, run_to_dict
from jupyter_orch.orchestration.store import flow_runs, flows, logs, task_runs


class Records:
    """Read-only views of one database, as plain dicts."""

    def __init__(self, url: str) -> None:
        self.url = url

    def flow_runs(self, **filters: Any) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            rows, _ = flow_runs.list_flow_runs(s, limit=200, **filters)
            return [run_to_dict(r) for r in rows]

    def flow_run(self, run_id: str) -> dict[str, Any]:
        with session_scope(self.url) as s:
            return run_to_dict(flow_runs.read_flow_run(s, run_id))

    def only_flow_run(self, flow_name: str) -> dict[str, Any]:
        runs = self.flow_runs(flow_name=flow_name)
        assert len(runs) == 1, runs
        return runs[0]

    def flow_run_states(self, run_id: str) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            return [row_to_dict(r) for r in flow_runs.flow_run_states(s, run_id)]

    def flow(self, flow_id: str) -> dict[str, Any]:
        with session_scope(self.url) as s:
            return row_to_dict(flows.read_flow(s, flow_id))

    def task_runs(self, flow_run_id: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            rows, _ = task_runs.list_task_runs(s, flow_run_id=flow_run_id, name=name, limit=500, order="asc")
            return [run_to_dict(r) for r in rows]

    def task_run(self, task_run_id: Any) -> dict[str, Any]:
        """By id: a string, or a future's `task_run_id` (a UUID, as Prefect's)."""
        with session_scope(self.url) as s:
            return run_to_dict(task_runs.read_task_run(s, str(task_run_id)))

    def task_run_states(self, task_run_id: Any) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            return [row_to_dict(r) for r in task_runs.task_run_states(s, str(task_run_id))]

    def edges(self, flow_run_id: str) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            return [row_to_dict(r) for r in task_runs.edges_of_flow_run(s, flow_run_id)]

    def logs(self, flow_run_id: str | None = None, task_run_id: str | None = None) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            return [
                row_to_dict(r)
                for r in logs.list_logs(s, flow_run_id=flow_run_id, task_run_id=task_run_id, limit=500)
            ]

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        with session_scope(self.url) as s:
            rows, _ = logs.list_artifacts(s, flow_run_id=flow_run_id, limit=100)
            return [row_to_dict(r) for r in rows]


@pytest.fixture
def records(orch_env: str) -> Records:
    return Records(orch_env)
