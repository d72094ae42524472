"""Prefect's `prefect.server.models.task_runs`: `read_task_run`, over this process's client."""

from __future__ import annotations

from typing import Any

from jupyter_orch.client.orchestration import SyncPrefectClient


async def read_task_run(session: Any = None, task_run_id: Any = None) -> Any:
    return SyncPrefectClient().read_task_run(task_run_id)


__all__ = ["read_task_run"]
