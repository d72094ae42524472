"""The calls the configuration objects (Variable, Secret, filesystems) make, over whichever client
this process uses: the embedded database, or the server at JUPYTER_ORCH_API_URL."""

from __future__ import annotations

from typing import Any

from jupyter_orch.api.transport import ApiError, get_transport


def call(method: str, path: str, body: Any = None, **query: Any) -> Any:
    """One API call; an unknown name is None (404), any other error raises ApiError."""
    transport = get_transport()
    try:
        if method == "GET":
            return transport.get(path, **query)
        if method == "DELETE":
            return transport.delete(path)
        if method == "PATCH":
            return transport.patch(path, body)
        return transport.post(path, body, **query)
    finally:
        transport.close()


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
