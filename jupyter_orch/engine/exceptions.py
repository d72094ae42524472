"""Errors the engine raises to users; each is (a subclass of) the Prefect-named exception in
`jupyter_orch.exceptions` that Prefect raises in its place."""

from __future__ import annotations

from jupyter_orch import exceptions as prefect_names
from jupyter_orch.exceptions import MissingContextError

# raised by the flow's parameter model; exported here, where Prefect users look for it
from jupyter_orch.parameters.errors import ParameterBindFailure, ParameterValidationError

__all__ = [
    "FlowPauseTimeout",
    "FlowRunAborted",
    "MissingContextError",
    "ParameterBindFailure",
    "ParameterValidationError",
    "Pause",
    "UpstreamFailed",
]


class FlowRunAborted(RuntimeError):
    """The orchestrator refused to let this run start or continue (e.g. it runs elsewhere)."""


class UpstreamFailed(prefect_names.UpstreamTaskError, RuntimeError):
    """A task's input came from a task run that did not complete."""


class Pause(prefect_names.Pause):
    """Raised by `suspend_flow_run` to end the flow's process while its run stays Suspended (a
    BaseException, like a signal: user code's `except Exception` does not swallow it)."""


class FlowPauseTimeout(prefect_names.FlowPauseTimeout, RuntimeError):
    """A paused flow run was not resumed within its timeout."""
