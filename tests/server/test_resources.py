"""Every resource over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.postgres


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def new_run(api, **body):
    body.setdefault("flow_name", "etl")
    status, run = await api("POST", "flow_runs", body=body)
    assert status == 201, run
    return run


async def test_health(api, server_db_url):
    status, body = await api("GET", "health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == ("postgresql" if server_db_url.startswith("postgresql") else "sqlite")
    assert isinstance(body["services"], dict)


async def test_flows(api):
    run = await new_run(api, flow_name="flow-a")
    status, page = await api("GET", "flows", params={"name": "flow-a"})
    assert status == 200 and [f["name"] for f in page["items"]] == ["flow-a"]
    flow_id = page["items"][0]["id"]
    assert run["flow_id"] == flow_id
    status, flow = await api("GET", f"flows/{flow_id}")
    assert status == 200 and flow["name"] == "flow-a"
    assert (await api("DELETE", f"flows/{flow_id}"))[0] == 204
    assert (await api("GET", f"flows/{flow_id}"))[0] == 404
    assert (await api("GET", f"flow_runs/{run['id']}"))[0] == 404  # cascaded


async def test_flow_run_create_read_update_delete(api):
    run = await new_run(api, name="first", parameters={"x": 1}, tags=["a", "b"])
    assert run["state_type"] == "PENDING" and run["state"]["type"] == "PENDING"
    assert run["parameters"] == {"x": 1} and run["tags"] == ["a", "b"]
    for field in (
        "id",
        "name",
        "flow_name",
        "deployment_id",
        "state_type",
        "state_name",
        "expected_start_time",
        "start_time",
        "end_time",
        "parameters",
        "tags",
    ):
        assert field in run
    status, got = await api("GET", f"flow_runs/{run['id']}")
    assert status == 200 and got["name"] == "first"
    status, got = await api(
        "PATCH", f"flow_runs/{run['id']}", body={"name": "renamed", "progress": {"done": 1}}
    )
    assert status == 200 and got["name"] == "renamed" and got["progress"] == {"done": 1}
    assert (await api("DELETE", f"flow_runs/{run['id']}"))[0] == 204
    assert (await api("GET", f"flow_runs/{run['id']}"))[0] == 404


async def test_flow_run_filters_and_pagination(api):
    ids = []
    for i in range(5):
        run = await new_run(api, flow_name="f1" if i % 2 else "f2", tags=["t", f"n{i}"])
        ids.append(run["id"])
    await api("POST", f"flow_runs/{ids[0]}/set_state", body={"state": {"type": "RUNNING"}})
    status, page = await api("GET", "flow_runs", params={"limit": "2"})
    assert status == 200 and len(page["items"]) == 2 and page["next"]
    seen = [r["id"] for r in page["items"]]
    while page["next"]:
        status, page = await api("GET", "flow_runs", params={"limit": "2", "cursor": page["next"]})
        seen += [r["id"] for r in page["items"]]
    assert seen == list(reversed(ids))  # newest first, each exactly once
    _, page = await api("GET", "flow_runs", params={"flow_name": "f1"})
    assert {r["id"] for r in page["items"]} == {ids[1], ids[3]}
    _, page = await api("GET", "flow_runs", params={"state_type": ["running", "COMPLETED"]})
    assert [r["id"] for r in page["items"]] == [ids[0]]
    _, page = await api("GET", "flow_runs", params={"tags": ["t", "n3"]})
    assert [r["id"] for r in page["items"]] == [ids[3]]
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    _, page = await api("GET", "flow_runs", params={"start_after": future})
    assert page["items"] == []


async def test_set_state_decisions_and_history(api):
    run = await new_run(api)
    rid = run["id"]
    transition = str(uuid.uuid4())
    status, d = await api(
        "POST", f"flow_runs/{rid}/set_state", body={"state": {"type": "RUNNING", "id": transition}}
    )
    assert status == 200 and d["status"] == "ACCEPT" and d["state"]["type"] == "RUNNING"
    # the same transition again (a client retry) is not applied twice
    status, d = await api(
        "POST", f"flow_runs/{rid}/set_state", body={"state": {"type": "RUNNING", "id": transition}}
    )
    assert d["status"] == "ACCEPT" and d["reason"] == "transition already applied"
    status, d = await api("POST", f"flow_runs/{rid}/set_state", body={"state": {"type": "PENDING"}})
    assert d["status"] == "ABORT"
    status, d = await api(
        "POST", f"flow_runs/{rid}/set_state", body={"state": {"type": "COMPLETED", "message": "done"}}
    )
    assert d["status"] == "ACCEPT"
    status, states = await api("GET", f"flow_runs/{rid}/states")
    assert status == 200 and [s["type"] for s in states] == ["PENDING", "RUNNING", "COMPLETED"]
    # WAIT: a run scheduled in the future may not be claimed yet
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    run = await new_run(api, state={"type": "SCHEDULED", "scheduled_time": later})
    status, d = await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": "PENDING"}})
    assert d["status"] == "WAIT" and d["delay_seconds"] > 200
    # REJECT: a failure with retries left becomes AwaitingRetry
    run = await new_run(api, empirical_policy={"retries": 1})
    await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": "RUNNING"}})
    status, d = await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": "FAILED"}})
    assert d["status"] == "REJECT" and d["state"]["name"] == "AwaitingRetry"


async def test_cancel_and_retry(api):
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    scheduled = await new_run(api, state={"type": "SCHEDULED", "scheduled_time": later})
    _, d = await api("POST", f"flow_runs/{scheduled['id']}/cancel")
    assert d["status"] == "ACCEPT" and d["state"]["type"] == "CANCELLED"
    running = await new_run(api)
    await api("POST", f"flow_runs/{running['id']}/set_state", body={"state": {"type": "RUNNING"}})
    _, d = await api("POST", f"flow_runs/{running['id']}/cancel")
    assert d["state"]["type"] == "CANCELLING"
    status, err = await api("POST", f"flow_runs/{running['id']}/retry")
    assert status == 409 and err["error"] == "conflict"
    _, d = await api("POST", f"flow_runs/{scheduled['id']}/retry")
    assert d["status"] == "ACCEPT" and d["state"]["type"] == "SCHEDULED"


async def test_counts(api):
    for state in ("COMPLETED", "COMPLETED", "FAILED"):
        run = await new_run(api)
        await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": "RUNNING"}})
        await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": state}})
    status, counts = await api("GET", "flow_runs/counts", params={"buckets": "4"})
    assert status == 200
    assert counts["by_state"] == {"COMPLETED": 2, "FAILED": 1}
    assert counts["failed"] == 1 and counts["late"] == 0
    assert len(counts["buckets"]) == 4
    assert sum(sum(b["counts"].values()) for b in counts["buckets"]) == 3


async def test_task_run_batch_replayed_with_its_id_is_skipped(api):
    """A client that lost the answer to a batch sends it again with the same batch_id: no
    duplicate logs or edges; a batch that failed (rolled back) is applied when retried."""
    rid = (await new_run(api))["id"]
    now = datetime.now(timezone.utc).isoformat()
    t1, t2 = str(uuid.uuid4()), str(uuid.uuid4())
    batch = {
        "batch_id": str(uuid.uuid4()),
        "edges": [{"flow_run_id": rid, "upstream_id": t1, "downstream_id": t2, "kind": "data"}],
        "logs": [{"flow_run_id": rid, "message": f"line {i}", "timestamp": now} for i in range(3)],
    }
    status, counts = await api("POST", "task_runs/batch", body=batch)
    assert status == 200 and counts["logs"] == 3 and "replayed" not in counts, counts
    for _ in range(2):
        status, again = await api("POST", "task_runs/batch", body=batch)
        assert status == 200 and again["replayed"] is True and again["logs"] == 0, again
    _, logs = await api("GET", "logs", params={"flow_run_id": rid, "limit": "100"})
    assert [r["message"] for r in logs["items"]] == ["line 0", "line 1", "line 2"]
    _, graph = await api("GET", f"flow_runs/{rid}/graph")
    assert len(graph["edges"]) == 1
    # a batch that fails is not recorded as applied: its retry writes it
    bad = {
        "batch_id": str(uuid.uuid4()),
        "logs": [{"flow_run_id": rid, "message": "late line"}],
        "edges": [{"flow_run_id": str(uuid.uuid4()), "upstream_id": t1, "downstream_id": t2}],
    }
    status, err = await api("POST", "task_runs/batch", body=bad)
    assert status == 422, err
    bad["edges"] = []
    status, counts = await api("POST", "task_runs/batch", body=bad)
    assert status == 200 and counts["logs"] == 1 and "replayed" not in counts, counts
    status, err = await api("POST", "task_runs/batch", body={"batch_id": "", "logs": []})
    assert status == 422 and err["field"] == "batch_id", err


async def test_task_run_batch_graph_logs_artifacts(api):
    run = await new_run(api)
    rid = run["id"]
    now = datetime.now(timezone.utc).isoformat()
    t1, t2 = str(uuid.uuid4()), str(uuid.uuid4())
    s1, s2 = str(uuid.uuid4()), str(uuid.uuid4())

    def task(tid, sid, name, state="COMPLETED"):
        return {
            "id": tid,
            "name": name,
            "task_key": name,
            "flow_run_id": rid,
            "state_id": sid,
            "state_type": state,
            "state_timestamp": now,
            "tags": ["x"],
            "cache_key": f"key-{name}",
        }

    batch = {
        "task_runs": [task(t1, s1, "a"), task(t2, s2, "b", "RUNNING")],
        "task_run_states": [
            {"id": s1, "task_run_id": t1, "type": "COMPLETED", "name": "Completed", "timestamp": now},
            {"id": s2, "task_run_id": t2, "type": "RUNNING", "name": "Running", "timestamp": now},
        ],
        "edges": [{"flow_run_id": rid, "upstream_id": t1, "downstream_id": t2, "kind": "data"}],
        "logs": [{"flow_run_id": rid, "task_run_id": t1, "message": f"line {i}"} for i in range(3)],
        "artifacts": [{"type": "markdown", "key": "report", "data": "# hi", "flow_run_id": rid}],
    }
    status, counts = await api("POST", "task_runs/batch", body=batch)
    assert status == 200, counts
    assert counts == {"task_runs": 2, "task_run_states": 2, "edges": 1, "logs": 3, "artifacts": 1}
    # replaying a snapshot with a newer state updates the row
    s3 = str(uuid.uuid4())
    await api("POST", "task_runs/batch", body={"task_runs": [task(t2, s3, "b")]})
    status, tr = await api("GET", f"task_runs/{t2}")
    assert status == 200 and tr["state_type"] == "COMPLETED"
    _, page = await api(
        "GET", "task_runs", params={"flow_run_id": rid, "state_type": "COMPLETED", "tags": "x"}
    )
    assert {t["id"] for t in page["items"]} == {t1, t2}
    _, states = await api("GET", f"task_runs/{t1}/states")
    assert [s["type"] for s in states] == ["COMPLETED"]
    _, cached = await api("GET", "task_runs/cached", params={"cache_key": "key-a"})
    assert cached["task_run"]["id"] == t1
    _, cached = await api("GET", "task_runs/cached", params={"cache_key": "nothing"})
    assert cached["task_run"] is None
    _, graph = await api("GET", f"flow_runs/{rid}/graph")
    assert {t["id"] for t in graph["task_runs"]} == {t1, t2}
    assert graph["edges"] == [{"upstream_id": t1, "downstream_id": t2, "kind": "data"}]
    # logs: follow with after_id
    status, logs = await api("GET", "logs", params={"flow_run_id": rid, "limit": "2"})
    assert [r["message"] for r in logs["items"]] == ["line 0", "line 1"] and logs["next"]
    _, more = await api("GET", "logs", params={"flow_run_id": rid, "after_id": str(logs["items"][-1]["id"])})
    assert [r["message"] for r in more["items"]] == ["line 2"] and more["next"] is None
    status, created = await api("POST", "logs", body=[{"flow_run_id": rid, "message": "posted", "level": 40}])
    assert status == 201 and created == {"count": 1}
    _, errors = await api("GET", "logs", params={"flow_run_id": rid, "level_ge": "40"})
    assert [r["message"] for r in errors["items"]] == ["posted"]
    # artifacts
    status, art = await api(
        "POST", "artifacts", body={"type": "table", "data": [{"a": 1}], "flow_run_id": rid}
    )
    assert status == 201 and art["type"] == "table"
    _, arts = await api("GET", "artifacts", params={"flow_run_id": rid})
    assert {a["type"] for a in arts["items"]} == {"markdown", "table"}
    _, arts = await api("GET", "artifacts", params={"key": "report"})
    assert [a["data"] for a in arts["items"]] == ["# hi"]


async def test_batch_for_unknown_flow_run_is_422(api):
    now = datetime.now(timezone.utc).isoformat()
    missing = str(uuid.uuid4())
    body = {
        "task_runs": [
            {
                "id": str(uuid.uuid4()),
                "name": "a",
                "task_key": "a",
                "flow_run_id": missing,
                "state_id": str(uuid.uuid4()),
                "state_type": "RUNNING",
                "state_timestamp": now,
            }
        ]
    }
    status, err = await api("POST", "task_runs/batch", body=body)
    assert status == 422 and err["field"] == "flow_run_id"
    body = {
        "task_run_states": [
            {
                "id": str(uuid.uuid4()),
                "task_run_id": missing,
                "type": "RUNNING",
                "name": "Running",
                "timestamp": now,
            }
        ]
    }
    status, err = await api("POST", "task_runs/batch", body=body)
    assert status == 422, err


async def test_server_exports_its_configured_home_and_database(api, server_db_url, tmp_path, jp_serverapp):
    """Results and run outputs written by this process (and its worker's children) go where the
    server's traitlets say, and the output endpoint serves from that same place."""
    from jupyter_orch.settings import get_settings

    settings = get_settings()
    assert settings.home == (tmp_path / "orch-home")
    assert settings.database_url == server_db_url
    status, _ = await api("GET", "health")
    assert status == 200
