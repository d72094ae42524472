"""The calls the configuration objects (Variable, Secret, filesystems) make, over whichever client
this process uses: the embedded database, or the server at JUPYTER_ORCH_API_URL."""

from __future__ import annotations

from typing import Any

from jupyter_orch.client import ApiError, new_client


def call(method: str, path: str, body: Any = None, **query: Any) -> Any:
    """One API call; an unknown name is None (404), any other error raises ApiError."""
    # a client of the environment as it is now (a test, or a notebook, may have changed it)
    client = new_client()
    try:
        return client.request(method, path, query, {} if body is None and method == "POST" else body)
    finally:
        client.close()


def read_or_none(method: str, path: str) -> Any:
    try:
        return call(method, path)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def deleted(path: str) -> bool:
    """DELETE `path`: True if it existed, False if there was nothing by that name (404)."""
    try:
        call("DELETE", path)
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True
