"""Prefect's `prefect.server.schemas.actions`: what creating a record takes."""

from jupyter_orch.client.schemas.artifacts import ArtifactCreate

__all__ = ["ArtifactCreate"]
