"""Errors for bad input and missing or conflicting objects; the API maps each to an HTTP status
(400, 404, 409, 422 naming the field), the CLI to a clear line.

They sit in the core: schedules and parameters raise them as well as the store.
"""

from __future__ import annotations


class OrchError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(OrchError):
    status = 404
    code = "not_found"


class Conflict(OrchError):
    status = 409
    code = "conflict"


class Invalid(OrchError):
    """A value that is well-formed but not acceptable; the message names the field."""

    status = 422
    code = "invalid"
