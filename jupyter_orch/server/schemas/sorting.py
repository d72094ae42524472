"""Prefect's `prefect.server.schemas.sorting`: the client's sort orders."""

from jupyter_orch.client.schemas.sorting import ArtifactSort, FlowRunSort, LogSort, TaskRunSort

__all__ = ["ArtifactSort", "FlowRunSort", "LogSort", "TaskRunSort"]
