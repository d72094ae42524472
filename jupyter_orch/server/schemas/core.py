"""Prefect's `prefect.server.schemas.core`: the records the API answers with."""

from jupyter_orch.client.schemas.artifacts import Artifact
from jupyter_orch.client.schemas.objects import Constant, Parameter, TaskRunResult

__all__ = ["Artifact", "Constant", "Parameter", "TaskRunResult"]
