"""`OrchClient` over both transports — in-process and HTTP to a real `jupyter orch server` — on
SQLite and PostgreSQL: the same calls give the same answers, errors included, and a flow run
through either is recorded whole."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_orch import client as client_mod
from jupyter_orch import flow, task
from jupyter_orch.client import ApiError, OrchClient, http_client, local_client
from jupyter_orch.orchestration.errors import Invalid, NotFound, OrchError
from jupyter_orch.server.process import ServerProcess
from jupyter_orch.states import Pending, Running, Scheduled, State, utcnow


@task(cache_key_fn=lambda ctx, params: f"sq-{params['x']}", cache_expiration=timedelta(hours=1))
def square(x: int) -> int:
    return x * x


@flow
def squares(n: int) -> int:
    futures = [square.submit(i) for i in range(n)]
    return sum(f.result() for f in futures) + square(1)


@pytest.fixture(params=["local", "http"])
def client(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[OrchClient]:
    """A client of `db_url`: in this process, or through a server process on it."""
    if request.param == "local":
        c = local_client(db_url)
        yield c
        c.close()
        return
    with ServerProcess(db_url, tmp_path / "server-home") as server:
        c = http_client(server.url, server.token, retry_seconds=5)
        yield c
        c.close()


def test_flow_runs_and_their_states(client: OrchClient) -> None:
    run = client.create_flow_run(flow_name="client-flow", parameters={"n": 1}, state=Pending(), tags=["a"])
    assert run["flow_name"] == "client-flow" and run["state_type"] == "PENDING" and run["tags"] == ["a"]
    answer = client.set_flow_run_state(run["id"], Running())
    assert answer["status"] == "ACCEPT" and answer["state"]["type"] == "RUNNING"
    # a second RUNNING proposal is judged against the run's current state (the rules answer)
    assert client.set_flow_run_state(run["id"], State("COMPLETED"))["status"] == "ACCEPT"
    assert client.set_flow_run_state(run["id"], Running())["status"] == "ABORT"
    client.update_flow_run(run["id"], progress={"done": 3})
    read = client.read_flow_run(run["id"])
    assert read["state_type"] == "COMPLETED" and read["progress"] == {"done": 3}
    other = client.create_flow_run(flow_name="client-flow", state=Scheduled(scheduled_time=utcnow()))
    answers = client.set_flow_run_states([(other["id"], Pending()), (run["id"], Pending())])
    assert answers[other["id"]]["status"] == "ACCEPT" and answers[run["id"]]["status"] == "ABORT"
    items = client.get("flow_runs", flow_name="client-flow")["items"]
    assert {r["id"] for r in items} == {run["id"], other["id"]}


def test_errors_name_status_and_field(client: OrchClient) -> None:
    with pytest.raises(ApiError) as missing:
        client.read_flow_run("00000000-0000-4000-8000-000000000000")
    assert missing.value.status == 404 and isinstance(missing.value, NotFound)
    with pytest.raises(ApiError) as bad:
        client.create_flow_run(flow_name="bad", parameters=["not", "an", "object"])
    assert bad.value.status == 422 and bad.value.field == "parameters"
    assert isinstance(bad.value, Invalid) and isinstance(bad.value, OrchError)
    with pytest.raises(ApiError) as unknown:
        client.set_flow_run_state("00000000-0000-4000-8000-000000000000", Running())
    assert unknown.value.status == 404


def test_a_flow_through_the_client_is_recorded_whole(client: OrchClient) -> None:
    client_mod.reset_client()
    client_mod._client = client
    try:
        assert squares(3) == 0 + 1 + 4 + 1
        client.flush(timeout=30)
    finally:
        client_mod._client = None
    (run,) = client.get("flow_runs", flow_name="squares")["items"]
    assert run["state_type"] == "COMPLETED"
    task_runs = client.get("task_runs", flow_run_id=run["id"], limit=50)["items"]
    # square(1) after square.submit(1) in the same run: a cache hit, recorded as Cached
    assert len(task_runs) == 4 and {t["state_name"] for t in task_runs} == {"Completed", "Cached"}
    hit = client.find_cached_task_run("sq-2")
    assert hit is not None and hit["state"]["type"] == "COMPLETED"
    assert client.read_task_run(hit["id"])["id"] == hit["id"]


def test_concurrency_slots(client: OrchClient) -> None:
    assert client.limited_tags() == frozenset()
    client.post("concurrency_limits", {"tag": "db", "concurrency_limit": 1})
    assert client.limited_tags() == frozenset({"db"})
    assert client.increment_concurrency_slots(["db"], "holder-1") is True
    assert client.increment_concurrency_slots(["db"], "holder-2") is False
    client.decrement_concurrency_slots("holder-1")
    assert client.increment_concurrency_slots(["db"], "holder-2") is True


def test_deployments_pools_and_workers(client: OrchClient) -> None:
    client.post("work_pools", {"name": "pool-c"})
    dep = client.create_deployment(
        {
            "flow_name": "etl",
            "name": "daily",
            "kind": "python",
            "entrypoint": "x.py:etl",
            "work_pool_name": "pool-c",
        }
    )
    assert client.read_deployment("etl/daily")["id"] == dep["id"] == client.read_deployment(dep["id"])["id"]
    run = client.create_flow_run_from_deployment(dep["id"], parameters={"day": "2026-01-01"})
    assert run["deployment_id"] == dep["id"] and run["parameters"] == {"day": "2026-01-01"}
    assert client.worker_heartbeat("pool-c", "w1", []) == {}
    claimed = client.get_scheduled_flow_runs(
        "pool-c", "w1", 5, scheduled_before=utcnow() + timedelta(seconds=5)
    )
    assert [r["id"] for r in claimed] == [run["id"]]
    assert claimed[0]["deployment"]["entrypoint"] == "x.py:etl"
    states = client.worker_heartbeat("pool-c", "w1", [run["id"]])
    assert states == {run["id"]: "PENDING"}
    workers = client.get("workers", work_pool_name="pool-c")["items"]
    assert [w["name"] for w in workers] == ["w1"] and workers[0]["hostname"]
    client.create_logs(
        [{"flow_run_id": run["id"], "level": 20, "name": "t", "message": "hi", "timestamp": utcnow()}]
    )
    deadline = time.monotonic() + 10
    while not client.get("logs", flow_run_id=run["id"])["items"]:  # the server's group commit
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_the_default_client_follows_the_environment(
    orch_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert client_mod.get_client().mode == "local"
    assert client_mod.get_client() is client_mod.get_client()
    monkeypatch.setenv("JUPYTER_ORCH_API_URL", "http://127.0.0.1:1/orch/api")
    monkeypatch.setenv("JUPYTER_ORCH_API_TOKEN", "t0ken")
    client_mod.reset_client()
    remote = client_mod.get_client()
    assert remote.mode == "http" and remote.transport.api_url == "http://127.0.0.1:1"  # type: ignore[attr-defined]
    assert remote.transport.client.headers["Authorization"] == "token t0ken"  # type: ignore[attr-defined]
    # a database URL asked for explicitly wins over the server (a worker's --database)
    assert client_mod.new_client(orch_env).mode == "local"
    client_mod.reset_client()
