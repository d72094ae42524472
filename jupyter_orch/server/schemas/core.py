"""Prefect's `prefect.server.schemas.core`: the records the API answers with."""

from jupyter_orch.client.schemas.artifacts import Artifact

__all__ = ["Artifact"]
