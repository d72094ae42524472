"""Background tasks through a real Jupyter server: the claim route over HTTP, and `.delay()` from
a client with task worker processes that all report to the server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from bgworkers import run_with_two_worker_processes, worker_env

from jupyter_orch.server.process import ServerProcess


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def test_claim_route_checks_its_input(api):
    status, err = await api("POST", "task_runs/background/claim", body={"task_keys": []})
    assert status == 422 and "task_keys" in (err.get("field") or err["message"])
    status, err = await api("POST", "task_runs/background/claim", body={"task_keys": ["a.b"], "limit": 0})
    assert status == 422 and "limit" in (err.get("field") or err["message"])
    status, claimed = await api("POST", "task_runs/background/claim", body={"task_keys": ["nothing.here"]})
    assert status == 200 and claimed == []


def test_delay_through_a_server_with_worker_processes(live_server: ServerProcess, monkeypatch, tmp_path):
    from jupyter_orch.client import get_client, reset_client

    for name, value in live_server.client_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTER_ORCH_DATABASE_URL", "sqlite:////nonexistent/never-used.db")
    reset_client()
    try:
        env = worker_env(tmp_path, live_server.client_env)
        results = run_with_two_worker_processes(tmp_path, env, count=8)
        assert sorted(i for i, _ in results) == list(range(8))
        runs = get_client().get("task_runs", limit=100)["items"]
        where = [r for r in runs if r["name"].startswith("where-")]
        assert len(where) == 8 and {r["state_type"] for r in where} == {"COMPLETED"}
        assert all(r["flow_run_id"] is None and r["run_count"] == 1 for r in where)
    finally:
        reset_client()
