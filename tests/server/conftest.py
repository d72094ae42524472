"""Server fixtures: a real Jupyter server (pytest-jupyter) with only jupyter_orch enabled."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from jupyter_orch.server.process import ServerProcess


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "schemathesis: property-based run of the whole API against a live server"
    )


Fetch = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
def server_db_url(sqlite_url: str) -> str:
    """The database the server under test uses; modules override it with `db_url` (both backends)."""
    return sqlite_url


@pytest.fixture
def jp_server_config(server_db_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_orch": True}},
        "OrchApp": {
            "database_url": server_db_url,
            "home": str(tmp_path / "orch-home"),
            "set_client_env": False,
            "background_services": False,  # API tests: no scheduler/worker acting on their rows
        },
    }


@pytest.fixture
def api(jp_fetch: Callable[..., Awaitable[HTTPResponse]]) -> Fetch:
    """Call the REST API: `await api("POST", "flow_runs", body={...}, params={...})` -> (status, json).

    Errors come back as (status, body) too, so tests assert on both.
    """

    async def call(
        method: str,
        path: str,
        body: Any = None,
        params: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": True}
        if params:  # repeated parameters (tags=a&tags=b) from list values
            kwargs["params"] = [
                (k, v) for k, vs in params.items() for v in (vs if isinstance(vs, list) else [vs])
            ]
        if headers:
            kwargs["headers"] = headers
        if raw is not None:
            kwargs["body"] = raw
        elif body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b""
        try:
            resp = await jp_fetch("orch", "api", *path.strip("/").split("/"), **kwargs)
        except HTTPClientError as exc:
            resp = exc.response
            assert resp is not None, exc
        text = resp.body.decode() if resp.body else ""
        return resp.code, (json.loads(text) if text else None)

    return call


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """`jupyter orch server` in a subprocess on `db_url` (both backends)."""
    with ServerProcess(db_url, tmp_path / "live-home") as server:
        yield server


@pytest.fixture(scope="module")
def live_sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One subprocess server on SQLite shared by a module's tests (schemathesis, CLI)."""
    home = tmp_path_factory.mktemp("live")
    with ServerProcess(f"sqlite:///{home / 'orch.db'}", home) as server:
        yield server
