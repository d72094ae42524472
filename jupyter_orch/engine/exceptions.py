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


class Pause(BaseException):
    """Raised by `suspend_flow_run` to end the flow's process while its run stays Suspended (a
    BaseException, like a signal: user code's `except Exception` does not swallow it)."""


class FlowPauseTimeout(RuntimeError):
    """A paused flow run was not resumed within its timeout."""
