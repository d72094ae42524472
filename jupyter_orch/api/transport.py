"""Talking "REST" with or without a server: the same (method, path, query, body) either way.

`HTTPTransport` sends requests to a jupyter-orch server with httpx; `LocalTransport` dispatches
them in-process through the same route table against the database. The CLI (and anything else
that wants to work in both modes) is written once against `Transport`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from jupyter_orch.api import PREFIX

#: HTTP statuses worth retrying: the server is restarting or a proxy lost it.
RETRY_STATUSES = frozenset({502, 503, 504})

Query = Mapping[str, Any]


class ApiError(Exception):
    """An error answer of the API (both transports raise it the same way)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


def json_default(value: Any) -> Any:
    """Encode what run records carry besides JSON types: datetimes, states, enums."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _query_lists(query: Query | None) -> dict[str, list[str]]:
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
    """Call an API operation by method and path (relative to /orch/api)."""

    mode = "abstract"

    def request(self, method: str, path: str, query: Query | None = None, body: Any = None) -> Any:
        raise NotImplementedError

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query)

    def post(self, path: str, body: Any = None, **query: Any) -> Any:
        return self.request("POST", path, query, {} if body is None else body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, None, body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def close(self) -> None:
        return None


class LocalTransport(Transport):
    """Dispatch through the route table in this process, each call in its own transaction."""

    mode = "local"

    def __init__(self, database_url: str | None = None) -> None:
        from jupyter_orch.api.database import Database

        self.database = Database(database_url)
        self.database_url = database_url

    def request(self, method: str, path: str, query: Query | None = None, body: Any = None) -> Any:
        from jupyter_orch.api.errors import to_orch_error
        from jupyter_orch.api.routing import call, parse_body, parse_params
        from jupyter_orch.api.table import route_table

        try:
            route, path_args = route_table().match(method, "/" + path.strip("/"))
            params = parse_params(route, path_args, _query_lists(query))
            if route.body is not None:
                body = json.loads(json.dumps(body, default=json_default))  # exactly what HTTP would carry
            parsed = parse_body(route, body) if route.body is not None else None
            with self.database.session(write=route.writes) as session:
                return call(route, session, params, parsed)
        except Exception as exc:
            err = to_orch_error(exc)
            if err is None:
                raise
            raise ApiError(err.status, err.code, err.message, err.field) from exc


class HTTPTransport(Transport):
    """httpx against a jupyter-orch server; retries connection errors and 502/503/504 with
    exponential backoff for up to `retry_seconds` (a server restarting is not an error)."""

    mode = "http"

    def __init__(
        self,
        api_url: str,
        token: str | None = None,
        timeout: float = 30.0,
        retry_seconds: float = 60.0,
        max_backoff: float = 2.0,
    ) -> None:
        root = api_url.rstrip("/")
        if root.endswith(PREFIX):
            root = root[: -len(PREFIX)]
        self.api_url = root
        self.retry_seconds = retry_seconds
        self.max_backoff = max_backoff
        headers = {"Authorization": f"token {token}"} if token else {}
        self.client = httpx.Client(base_url=root + PREFIX, headers=headers, timeout=timeout)

    def request(
        self, method: str, path: str, query: Query | None = None, body: Any = None, retry: bool = True
    ) -> Any:
        content = None
        headers = {}
        if body is not None:
            content = json.dumps(body, default=json_default).encode()
            headers["Content-Type"] = "application/json"
        params = [(k, v) for k, vs in _query_lists(query).items() for v in vs]
        deadline = time.monotonic() + (self.retry_seconds if retry else 0)
        delay = 0.05
        while True:
            try:
                resp = self.client.request(
                    method, "/" + path.strip("/"), params=params, content=content, headers=headers
                )
                if resp.status_code not in RETRY_STATUSES:
                    break
                failure: Exception = ApiError(
                    resp.status_code, "unavailable", f"server answered {resp.status_code}"
                )
            except httpx.TransportError as exc:
                failure = exc
            if time.monotonic() + delay > deadline:
                if isinstance(failure, ApiError):
                    raise failure
                raise ApiError(503, "unreachable", f"cannot reach {self.api_url}: {failure}") from failure
            time.sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        if resp.status_code == 204:
            return None
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if resp.status_code >= 400:
            if isinstance(payload, dict):
                raise ApiError(
                    resp.status_code,
                    str(payload.get("error", "error")),
                    str(payload.get("message", resp.reason_phrase)),
                    payload.get("field"),
                )
            raise ApiError(resp.status_code, "error", f"{resp.status_code} {resp.reason_phrase}")
        return payload

    def close(self) -> None:
        self.client.close()


def get_transport() -> Transport:
    """HTTP when JUPYTER_ORCH_API_URL is set, else the database directly."""
    from jupyter_orch.settings import get_settings

    settings = get_settings()
    if settings.api_url:
        return HTTPTransport(settings.api_url, settings.api_token)
    return LocalTransport(settings.database_url)
