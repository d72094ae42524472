"""The single mapping from exceptions to API error responses (HTTP handlers and the in-process client)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from jupyter_orch.orchestration.errors import Conflict, Invalid, OrchError


class Malformed(OrchError):
    """The request could not be parsed at all (not JSON, wrong query syntax)."""

    status = 400
    code = "malformed"


class PayloadTooLarge(OrchError):
    """A request body beyond the route's size limit (`jupyter_orch.settings.Limits`)."""

    status = 413
    code = "too_large"


class MethodNotAllowed(OrchError):
    status = 405
    code = "method_not_allowed"


class Unavailable(OrchError):
    """The server is stopping (or its database writer already stopped): nothing was applied, so
    the request is worth sending again, to this server once restarted or another behind a proxy.
    A 500 would say "a fault"; clients retry a 503 (with `Retry-After` seconds) and never a 500."""

    status = 503
    code = "unavailable"
    retry_after = 1


def field_of(loc: tuple[Any, ...]) -> str | None:
    """A dotted field name from a pydantic error location (list indexes included)."""
    parts = [str(p) for p in loc]
    return ".".join(parts) or None


def from_validation_error(exc: ValidationError, prefix: str | None = None) -> Invalid:
    """The first pydantic error as an `Invalid` naming its field."""
    err = exc.errors(include_url=False)[0]
    field = field_of(tuple(err.get("loc") or ()))
    if prefix and field:
        field = f"{prefix}.{field}"
    elif prefix:
        field = prefix
    where = field or "body"
    return Invalid(f"{where}: {err.get('msg', 'invalid value')}", field=field)


def from_integrity_error(exc: IntegrityError) -> OrchError:
    """Constraint violations: a reference to a missing record is 422, a duplicate is 409."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    text = str(orig).lower()
    if sqlstate == "23503" or "foreign key" in text:
        return Invalid("a referenced record does not exist")
    if sqlstate in ("23505",) or "unique" in text:
        return Conflict("a record with the same identity already exists")
    return Invalid("the record violates a database constraint")


def to_orch_error(exc: BaseException) -> OrchError | None:
    """The `OrchError` an exception stands for, or None for a server fault."""
    if isinstance(exc, OrchError):
        return exc
    if isinstance(exc, ValidationError):
        return from_validation_error(exc)
    if isinstance(exc, IntegrityError):
        return from_integrity_error(exc)
    return None


def error_body(err: OrchError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": err.code, "message": err.message}
    if err.field:
        body["field"] = err.field
    return body
