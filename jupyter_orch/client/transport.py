"""What the client's two transports share: a request is (method, path, query, body) relative
to `/orch/api`, answered with the decoded JSON or an `ApiError`, whichever side of HTTP runs it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jupyter_orch.orchestration.errors import Conflict, Invalid, NotFound, OrchError

Query = Mapping[str, Any]


class ApiError(OrchError):
    """An error answer of the API, raised the same way by both transports.

    An `OrchError` (so `except OrchError` catches it) whose `status`, `code` and `field` are
    those of the answer: 404 not found, 409 conflict, 422 invalid (naming the field), ...
    """

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class ApiNotFound(ApiError, NotFound):
    """404: also a `NotFound`, as the store raises it in-process."""


class ApiConflict(ApiError, Conflict):
    """409: also a `Conflict`."""


class ApiInvalid(ApiError, Invalid):
    """422: also an `Invalid` (its `field` names the value)."""


_BY_STATUS: dict[int, type[ApiError]] = {404: ApiNotFound, 409: ApiConflict, 422: ApiInvalid}


def api_error(status: int, code: str, message: str, field: str | None = None) -> ApiError:
    """The error for an answer: an `ApiError` that is also the store's error of that status, so
    callers catch `NotFound`/`Invalid` the same whichever transport ran the request."""
    return _BY_STATUS.get(status, ApiError)(status, code, message, field)


def json_default(value: Any) -> Any:
    """Encode what run records carry besides JSON types: datetimes, states, enums, UUIDs."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    import uuid  # lazy: uuid loads `platform`; datetimes and states (above) are the common case

    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def query_lists(query: Query | None) -> dict[str, list[str]]:
    """Query parameters as the server sees them: every value a list of strings, None left out."""
    out: dict[str, list[str]] = {}
    for key, value in (query or {}).items():
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple, set)) else [value]
        out[key] = [
            v if isinstance(v, str) else json_default(v) if hasattr(v, "isoformat") else str(v)
            for v in values
        ]
    return out


class Transport:
    """Runs one API request; `remote` says whether a lost answer may hide an applied request
    (then the client makes its writes idempotent: client-chosen ids, batch ids)."""

    mode = "abstract"
    remote = False

    def request(self, method: str, path: str, query: Query | None = None, body: Any = None) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        return None
