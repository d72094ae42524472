"""Errors the engine raises to users."""

from __future__ import annotations

# raised by the flow's parameter model; exported here, where Prefect users look for it
from jupyter_orch.parameters.errors import ParameterValidationError

__all__ = ["FlowRunAborted", "MissingContextError", "ParameterValidationError", "UpstreamFailed"]


class FlowRunAborted(RuntimeError):
    """The orchestrator refused to let this run start or continue (e.g. it runs elsewhere)."""


class MissingContextError(RuntimeError):
    """A run-scoped helper (logger, artifact) was used outside a flow or task run."""


class UpstreamFailed(RuntimeError):
    """A task's input came from a task run that did not complete."""
