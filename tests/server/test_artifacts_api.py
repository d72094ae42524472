"""Artifacts over the REST API (GET/PATCH /artifacts/{id}, the newest by key) and from the engine
reporting to a real server over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from jupyter_orch.server.process import ServerProcess


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def test_read_update_and_latest(api):
    status, created = await api("POST", "artifacts", body={"type": "progress", "data": 5, "key": "load"})
    assert status == 201 and created["data"] == 5.0 and created["flow_run_id"] is None
    status, read = await api("GET", f"artifacts/{created['id']}")
    assert status == 200 and read == created

    status, updated = await api(
        "PATCH", f"artifacts/{created['id']}", body={"data": 60, "description": "half"}
    )
    assert status == 200 and updated["data"] == 60.0 and updated["description"] == "half"
    status, newer = await api("POST", "artifacts", body={"type": "markdown", "data": "# v2", "key": "load"})
    status, latest = await api("GET", "artifacts/load/latest")
    assert status == 200 and latest["id"] == newer["id"]


async def test_bad_requests_name_the_field(api):
    status, created = await api("POST", "artifacts", body={"type": "progress", "data": 1})
    status, err = await api("PATCH", f"artifacts/{created['id']}", body={"data": 101})
    assert status == 422 and err["field"] == "data" and "0 to 100" in err["message"]
    status, err = await api("POST", "artifacts", body={"type": "progress", "data": "lots"})
    assert status == 422 and err["field"] == "data"
    status, err = await api("PATCH", f"artifacts/{created['id']}", body={"type": "table"})
    assert 400 <= status < 500 and "type" in err["message"]
    status, err = await api("GET", f"artifacts/{uuid.uuid4()}")
    assert status == 404 and err["error"] == "not_found"
    status, err = await api("PATCH", f"artifacts/{uuid.uuid4()}", body={"data": 3})
    assert status == 404
    status, err = await api("GET", "artifacts/nothing-here/latest")
    assert status == 404 and err["field"] == "key"


def test_engine_artifacts_over_http(live_server: ServerProcess, monkeypatch, tmp_path):
    """A flow reporting to a server creates and moves a progress artifact; one outside any run
    is there when the call returns."""
    from jupyter_orch import flow
    from jupyter_orch.artifacts import (
        Artifact,
        create_link_artifact,
        create_progress_artifact,
        update_progress_artifact,
    )
    from jupyter_orch.client import http_client, reset_client

    for name, value in live_server.client_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTER_ORCH_HOME", str(tmp_path / "client-home"))
    reset_client()
    try:

        @flow
        def progressing():
            bar = create_progress_artifact(0, key="http-bar")
            update_progress_artifact(bar, 40)
            return bar

        bar = progressing()
        loose = create_link_artifact("https://example.org", key="http-link")
        http = http_client(live_server.url, live_server.token)
        try:
            row = http.get(f"artifacts/{bar}")
            assert row["data"] == 40.0 and row["flow_run_id"] is not None
            assert http.get(f"artifacts/{loose}")["flow_run_id"] is None
        finally:
            http.close()
        latest = Artifact.get("http-link")
        assert latest is not None and latest.id == loose
    finally:
        reset_client()
