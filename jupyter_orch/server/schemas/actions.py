"""Prefect's `prefect.server.schemas.actions`: what creating a record takes."""

from jupyter_orch.client.schemas.actions import ArtifactCreate, LogCreate

__all__ = ["ArtifactCreate", "LogCreate"]
