"""Errors the engine raises to users."""

from __future__ import annotations


class ParameterValidationError(ValueError):
    """A flow was called with a value its signature does not accept; the message names it."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class FlowRunAborted(RuntimeError):
    """The orchestrator refused to let this run start or continue (e.g. it runs elsewhere)."""


class MissingContextError(RuntimeError):
    """A run-scoped helper (logger, artifact) was used outside a flow or task run."""


class UpstreamFailed(RuntimeError):
    """A task's input came from a task run that did not complete."""
