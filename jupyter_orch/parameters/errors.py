"""The one error a bad parameter value raises, wherever it was checked.

Callers turn it into what their user sees (a 422 naming `parameters.<field>`, a failed flow run, a
CLI message), so it carries the parameter's name apart from the sentence.
"""

from __future__ import annotations

from jupyter_orch.exceptions import ParameterBindError, ParameterTypeError


class ParameterError(ValueError):
    """A parameter value that does not match its schema; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    @property
    def parameter(self) -> str | None:
        """The parameter's name (Prefect's spelling of `field`)."""
        return self.field or None


class ParameterValidationError(ParameterError, ParameterTypeError):
    """A flow was called with a value its signature does not accept; the message names it."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(parameter or "", message)


class ParameterBindFailure(ParameterBindError, ParameterValidationError):
    """A flow called with arguments its signature cannot take (Prefect's ParameterBindError)."""
