"""The client's HTTP transport: requests to a jupyter-orch server's `/orch/api` with the Jupyter
token (`Authorization: token ...`), sync httpx.

Connection errors and 502/503/504 are retried with exponential backoff for up to
`retry_seconds` (default 60): a server restarted mid-flow costs a pause, never a record. A
stopping server answers 503 with `Retry-After`; the wait honours it (capped at `max_backoff`).
A 500 is a fault, never retried: the request may have been applied.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from jupyter_orch.api import PREFIX
from jupyter_orch.client.transport import ApiError, Query, Transport, api_error, json_default, query_lists

#: HTTP statuses worth retrying: the server is restarting or a proxy lost it.
RETRY_STATUSES = frozenset({502, 503, 504})


class HTTPTransport(Transport):
    """httpx against a jupyter-orch server (`api_url` with or without the `/orch/api` suffix)."""

    mode = "http"
    remote = True

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
        params = [(k, v) for k, vs in query_lists(query).items() for v in vs]
        resp = self._send(method, "/" + path.strip("/"), params, content, headers, retry)
        if resp.status_code == 204:
            return None
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if resp.status_code >= 400:
            if isinstance(payload, dict):
                raise api_error(
                    resp.status_code,
                    str(payload.get("error", "error")),
                    str(payload.get("message", resp.reason_phrase)),
                    payload.get("field"),
                )
            raise api_error(resp.status_code, "error", f"{resp.status_code} {resp.reason_phrase}")
        return payload

    def _send(
        self, method: str, path: str, params: Any, content: Any, headers: dict[str, str], retry: bool
    ) -> httpx.Response:
        """One request, sent again after connection errors and 502/503/504 until the deadline."""
        deadline = time.monotonic() + (self.retry_seconds if retry else 0)
        delay = 0.05
        while True:
            try:
                resp = self.client.request(method, path, params=params, content=content, headers=headers)
                if resp.status_code not in RETRY_STATUSES:
                    return resp
                failure: Exception = api_error(
                    resp.status_code, "unavailable", f"server answered {resp.status_code}"
                )
                wait = min(max(delay, retry_after(resp)), self.max_backoff)
            except httpx.TransportError as exc:
                failure = exc
                wait = delay
            if time.monotonic() + wait > deadline:
                if isinstance(failure, ApiError):
                    raise failure
                raise api_error(503, "unreachable", f"cannot reach {self.api_url}: {failure}") from failure
            time.sleep(wait)
            delay = min(delay * 2, self.max_backoff)

    def close(self) -> None:
        self.client.close()


def retry_after(resp: httpx.Response) -> float:
    """The seconds a `Retry-After` header asks for (the delta form; an HTTP date counts as 0)."""
    try:
        return max(0.0, float(resp.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0
