"""Pause inputs and resume over HTTP (a real Jupyter server, jp_fetch), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def _paused_run(api, reschedule: bool = False) -> str:
    status, run = await api("POST", "flow_runs", body={"flow_name": "approval", "name": "r1"})
    assert status == 201, run
    for state in ({"type": "PENDING"}, {"type": "RUNNING"}):
        assert (await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": state}))[0] == 200
    paused = {
        "type": "PAUSED",
        "name": "Suspended" if reschedule else "Paused",
        "data": {"pause_key": "paused-1", "pause_reschedule": reschedule},
    }
    status, decision = await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": paused})
    assert decision["status"] == "ACCEPT", decision
    return run["id"]


async def test_resume_validates_the_input_against_the_schema(api) -> None:
    run_id = await _paused_run(api)
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    body = {"key": "paused-1-schema", "value": schema}
    assert (await api("POST", f"flow_runs/{run_id}/input", body=body))[0] == 201
    assert (await api("POST", f"flow_runs/{run_id}/input", body=body))[0] == 409
    status, err = await api("POST", f"flow_runs/{run_id}/resume", body={"run_input": {"n": "x"}})
    assert status == 422 and err["field"] == "run_input.n"
    status, decision = await api("POST", f"flow_runs/{run_id}/resume", body={"run_input": {"n": 3}})
    assert (
        status == 200 and decision["state"]["type"] == "RUNNING" and decision["state"]["name"] == "Resuming"
    )
    status, sent = await api("GET", f"flow_runs/{run_id}/input/paused-1-response")
    assert status == 200 and sent["value"] == {"n": 3}
    status, err = await api("POST", f"flow_runs/{run_id}/resume", body={})
    assert status == 409 and "not paused" in err["message"]
    assert (await api("DELETE", f"flow_runs/{run_id}/input/paused-1-response"))[0] == 204
    assert (await api("GET", f"flow_runs/{run_id}/input/paused-1-response"))[0] == 404


async def test_a_suspended_run_resumes_as_scheduled(api) -> None:
    run_id = await _paused_run(api, reschedule=True)
    status, running = await api("POST", f"flow_runs/{run_id}/set_state", body={"state": {"type": "RUNNING"}})
    assert running["status"] == "ABORT" and "SCHEDULED" in running["reason"]
    status, decision = await api("POST", f"flow_runs/{run_id}/resume", body={})
    assert status == 200 and decision["state"]["type"] == "SCHEDULED"


async def test_bad_input_keys_and_unknown_runs(api) -> None:
    status, err = await api("POST", "flow_runs/nope/resume", body={})
    assert status == 404
    status, err = await api("GET", "flow_runs/nope/input/has space")
    assert status == 422 and err["field"] == "key"
