"""The one client of the orchestration API: `OrchClient` over an in-process or an HTTP transport.

`get_client()` is the process's client, made from the environment: a jupyter-orch server over
HTTP when `JUPYTER_ORCH_API_URL` is set, the database in this process otherwise. The engine,
workers, `serve()`/`run_deployment()`, the CLI, magics and widgets all talk through it.
"""

from __future__ import annotations

import atexit
import sys
import threading

from jupyter_orch.client.batch import BatchWriter
from jupyter_orch.client.orch import OrchClient
from jupyter_orch.client.transport import ApiError, Transport, json_default
from jupyter_orch.settings import get_settings

__all__ = [
    "ApiError",
    "BatchWriter",
    "OrchClient",
    "Transport",
    "get_client",
    "http_client",
    "json_default",
    "local_client",
    "new_client",
    "reset_client",
]

_client: OrchClient | None = None
_lock = threading.Lock()
_atexit_registered = False


def local_client(database_url: str | None = None) -> OrchClient:
    """A client that runs the API's operations in this process against `database_url`."""
    # heavy: the database layer; a client of a server (HTTP) never loads it
    from jupyter_orch.client.local import LocalTransport

    return OrchClient(LocalTransport(database_url))


def http_client(api_url: str, token: str | None = None, **options: float) -> OrchClient:
    """A client of the server at `api_url` (`timeout`, `retry_seconds` as `HTTPTransport`)."""
    # httpx: only a process that talks to a server imports it
    from jupyter_orch.client.http import HTTPTransport

    return OrchClient(HTTPTransport(api_url, token, **options))


def new_client(database_url: str | None = None) -> OrchClient:
    """A new client from the environment: HTTP when `JUPYTER_ORCH_API_URL` is set (and no
    database URL is forced), else in-process on `database_url` or the configured database."""
    settings = get_settings()
    if settings.api_url and database_url is None:
        return http_client(settings.api_url, settings.api_token)
    return local_client(database_url or settings.database_url)


def get_client() -> OrchClient:
    """The client of this process, created from the environment on first use."""
    global _client, _atexit_registered
    client = _client
    if client is not None:
        return client
    with _lock:
        if _client is None:
            _client = new_client()
            if not _atexit_registered:
                # records still buffered when the interpreter exits normally are written
                atexit.register(_close_at_exit)
                _atexit_registered = True
        return _client


def reset_client() -> None:
    """Flush and close the current client and forget it; the next `get_client()` reads the
    environment again (tests, or a kernel whose settings changed)."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


def _close_at_exit() -> None:
    try:
        reset_client()
    except Exception as exc:  # the interpreter is going away: say so, never hang or raise
        print(f"jupyter-orch: could not write the last run records: {exc}", file=sys.stderr)
