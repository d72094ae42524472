"""The live event feed over a real WebSocket of a real Jupyter server, on SQLite and PostgreSQL:
state changes, logs and artifacts as they commit, from this server's requests and from other
processes writing the same database; filters; Jupyter's auth."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
import tornado.websocket

from jupyter_orch.orchestration.events import EventFilter, EventHub

pytestmark = pytest.mark.postgres
WAIT = 60.0  # generous: a loaded CI machine; every wait ends as soon as its condition holds


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def collect(ws: Any, done: Callable[[list[dict]], bool], timeout: float = WAIT) -> list[dict]:
    """Read events until `done(events)` holds (or fail after `timeout`)."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while not done(events):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; got {events}"
        message = await asyncio.wait_for(ws.read_message(), left)
        assert message is not None, f"socket closed; got {events}"
        events.append(json.loads(message))
    return events


async def new_run(api, name: str = "evt-flow") -> dict:
    status, run = await api("POST", "flow_runs", body={"flow_name": name, "state": {"type": "PENDING"}})
    assert status == 201, run
    return run


async def set_state(api, run_id: str, state: str) -> None:
    status, answer = await api("POST", f"flow_runs/{run_id}/set_state", body={"state": {"type": state}})
    assert status == 200 and answer["status"] == "ACCEPT", answer


async def test_state_changes_of_one_run_arrive_in_order(api, jp_ws_fetch):
    run = await new_run(api)
    other = await new_run(api, "other-flow")
    ws = await jp_ws_fetch("orch", "api", "events", params={"flow_run_id": run["id"]})
    await set_state(api, other["id"], "RUNNING")
    await set_state(api, run["id"], "RUNNING")
    await set_state(api, run["id"], "COMPLETED")
    events = await collect(ws, lambda ev: any(e.get("state_type") == "COMPLETED" for e in ev))
    ws.close()
    assert [e["state_type"] for e in events] == ["RUNNING", "COMPLETED"]
    first = events[0]
    assert first["kind"] == "flow_run" and first["flow_run_id"] == run["id"] and first["id"] == run["id"]
    assert first["flow_id"] == run["flow_id"] and first["name"] == run["name"]
    assert first["timestamp"].endswith("+00:00")


async def test_filters_by_kind_and_run(api, jp_ws_fetch):
    run, other = await new_run(api), await new_run(api)
    ws = await jp_ws_fetch("orch", "api", "events", params={"kind": "log", "flow_run_id": run["id"]})
    await set_state(api, run["id"], "RUNNING")
    rows = [
        {"flow_run_id": other["id"], "message": "not mine", "level": 20},
        {"flow_run_id": run["id"], "message": "line one", "level": 20},
        {"flow_run_id": run["id"], "message": "line two", "level": 40},
    ]
    status, _ = await api("POST", "logs", body=rows)
    assert status == 201
    events = await collect(ws, lambda ev: len(ev) >= 2)
    # a state change of the run came first: the filter kept only its logs
    assert [(e["kind"], e["message"], e["level"]) for e in events] == [
        ("log", "line one", 20),
        ("log", "line two", 40),
    ]
    # nothing else is on its way: one more log of the run arrives next, not the state change
    status, _ = await api("POST", "logs", body=[{"flow_run_id": run["id"], "message": "three"}])
    assert (await collect(ws, lambda ev: len(ev) >= 1))[0]["message"] == "three"
    ws.close()


async def test_events_of_runs_written_by_another_process(api, jp_ws_fetch, db_url, tmp_path):
    """A flow in its own process writes the database directly (the embedded client): the server's
    feed still sees its flow-run and task-run states as they commit."""
    ws = await jp_ws_fetch("orch", "api", "events", params={"kind": "flow_run,task_run"})
    script = textwrap.dedent(
        """
        from jupyter_orch import flow, task

        @task
        def double(x):
            return 2 * x

        @flow(name="other-process-flow")
        def outer():
            return double(21)

        assert outer() == 42
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.update(JUPYTER_ORCH_DATABASE_URL=db_url, JUPYTER_ORCH_HOME=str(tmp_path / "home"))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, env=env)
    assert await asyncio.wait_for(proc.wait(), WAIT) == 0

    def finished(ev: list[dict]) -> bool:
        kinds = {(e["kind"], e["state_type"]) for e in ev}
        return ("flow_run", "COMPLETED") in kinds and ("task_run", "COMPLETED") in kinds

    events = await collect(ws, finished)
    ws.close()
    runs = [e for e in events if e["kind"] == "flow_run"]
    assert {e["name"] for e in runs} and all(e["flow_run_id"] == runs[0]["flow_run_id"] for e in runs)
    status, run = await api("GET", f"flow_runs/{runs[0]['flow_run_id']}")
    assert status == 200 and run["flow_name"] == "other-process-flow"
    tasks = [e for e in events if e["kind"] == "task_run"]
    assert {e["flow_run_id"] for e in tasks} == {run["id"]}
    assert tasks[-1]["name"].startswith("double") and tasks[-1]["flow_id"] == run["flow_id"]


async def test_artifacts_arrive(api, jp_ws_fetch):
    run = await new_run(api)
    ws = await jp_ws_fetch("orch", "api", "events", params={"kind": "artifact"})
    status, body = await api(
        "POST",
        "task_runs/batch",
        body={"artifacts": [{"flow_run_id": run["id"], "key": "report", "type": "markdown", "data": "# hi"}]},
    )
    assert status in (200, 201), body
    (event,) = await collect(ws, lambda ev: len(ev) >= 1)
    ws.close()
    assert event["kind"] == "artifact" and event["key"] == "report" and event["flow_run_id"] == run["id"]


async def test_refused_without_credentials(jp_http_port, jp_base_url, http_server_client):
    url = f"ws://localhost:{jp_http_port}{jp_base_url}orch/api/events"
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await tornado.websocket.websocket_connect(url)
    assert err.value.code == 403


async def test_unknown_kind_is_a_422_naming_the_field(jp_ws_fetch):
    with pytest.raises(tornado.httpclient.HTTPClientError) as err:
        await jp_ws_fetch("orch", "api", "events", params={"kind": "flow_run,bogus"})
    assert err.value.code == 422
    body = json.loads(err.value.response.body)
    assert body["error"] == "invalid" and "kind" in body["message"] and "bogus" in body["message"]


# -- the hub alone ---------------------------------------------------------------------------------
def test_filter_matches_every_given_field():
    flt = EventFilter.from_query({"kind": ["log,task_run"], "deployment_id": ["d1"]})
    assert flt.matches({"kind": "log", "deployment_id": "d1"})
    assert not flt.matches({"kind": "flow_run", "deployment_id": "d1"})
    assert not flt.matches({"kind": "log", "deployment_id": "d2"})
    assert EventFilter().matches({"kind": "artifact"})
    with pytest.raises(ValueError, match="kind"):
        EventFilter.from_query({"kind": ["nope"]})


async def test_a_slow_subscriber_is_told_what_it_missed():
    hub = EventHub(queue_limit=3)
    sub = hub.subscribe(EventFilter())
    hub.publish([{"kind": "log", "id": i} for i in range(5)])
    events = await sub.get(timeout=WAIT)
    assert events[0] == {"kind": "overflow", "dropped": 2}
    assert [e["id"] for e in events[1:]] == [2, 3, 4]
    sub.close()
    assert not hub.active


def test_event_migration_is_postgres_only(db_url):
    """The triggers exist on PostgreSQL (and nowhere else is anything created)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        names = set(
            conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'orch_event_%'")).scalars()
        )
    engine.dispose()
    assert names == {f"orch_event_{t}" for t in ("flow_run_states", "task_run_states", "logs", "artifacts")}
