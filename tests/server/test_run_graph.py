"""The run page's task graph (`/flow_runs/{id}/graph/slim`) over real HTTP, on SQLite and
PostgreSQL: the full graph's task runs in its order, cut to what the page draws, each with the ids
it depends on (once each, whatever the edge kinds), and the subflows; and the Server-Timing header
the UI benchmark reads."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.postgres

SLIM_TASK_FIELDS = {"id", "name", "state_type", "state_name", "start_time", "end_time", "run_count"}


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def post(api, path: str, body: dict) -> dict:
    status, answer = await api("POST", path, body=body)
    assert status in (200, 201), answer
    return answer


async def test_slim_graph_is_the_full_graph_cut_to_what_the_page_draws(api):
    run = await post(api, "flow_runs", {"flow_name": "etl"})
    rid = run["id"]
    sub = await post(api, "flow_runs", {"flow_name": "child", "parent_flow_run_id": rid})
    now = datetime.now(timezone.utc)
    ids = [str(uuid.uuid4()) for _ in range(4)]
    tasks = [
        {
            "id": tid,
            "name": f"task-{i}",
            "task_key": "t",
            "dynamic_key": str(i),
            "flow_run_id": rid,
            "state_id": str(uuid.uuid4()),
            "state_type": "COMPLETED" if i < 3 else "RUNNING",
            "state_name": "Completed" if i < 3 else "Running",
            "start_time": (now + timedelta(seconds=i)).isoformat(),
            "end_time": (now + timedelta(seconds=i + 1)).isoformat() if i < 3 else None,
            "created": (now + timedelta(seconds=i)).isoformat(),
        }
        for i, tid in enumerate(ids)
    ]

    def edge(up: str, down: str, kind: str = "data") -> dict:
        return {"flow_run_id": rid, "upstream_id": up, "downstream_id": down, "kind": kind}

    edges = [
        edge(ids[0], ids[3]),
        edge(ids[2], ids[3]),
        edge(ids[0], ids[3], "wait_for"),
        edge(ids[0], ids[1]),
    ]
    await post(api, "task_runs/batch", {"task_runs": tasks, "edges": edges})

    status, slim = await api("GET", f"flow_runs/{rid}/graph/slim")
    assert status == 200, slim
    _, full = await api("GET", f"flow_runs/{rid}/graph")
    assert [t["id"] for t in slim["task_runs"]] == [t["id"] for t in full["task_runs"]] == ids
    for s, f in zip(slim["task_runs"], full["task_runs"], strict=True):
        assert {k: s[k] for k in SLIM_TASK_FIELDS} == {k: f[k] for k in SLIM_TASK_FIELDS}
        assert set(s) == SLIM_TASK_FIELDS | {"upstream"}
    assert [t["upstream"] for t in slim["task_runs"]] == [[], [ids[0]], [], [ids[0], ids[2]]]
    assert slim["subflow_runs"] == [
        {
            "id": sub["id"],
            "name": sub["name"],
            "flow_name": "child",
            "state_type": "PENDING",
            "state_name": "Pending",
        }
    ]
    status, err = await api("GET", f"flow_runs/{uuid.uuid4()}/graph/slim")
    assert status == 404 and err["field"] == "id", err


async def test_an_answer_carries_the_servers_time_as_server_timing(jp_fetch):
    response = await jp_fetch("orch", "api", "flow_runs", method="GET")
    timing = dict(part.strip().split(";dur=") for part in response.headers["Server-Timing"].split(","))
    assert set(timing) == {"app", "db", "json"}
    assert all(float(v) >= 0 for v in timing.values())
    assert float(timing["db"]) <= float(timing["app"])
