"""Issue 4's resources over real HTTP on SQLite and PostgreSQL: deployments, schedules, work pools,
claims, workers, concurrency limits and notifications."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store.schedules import schedule_runs

pytestmark = pytest.mark.postgres

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}, "who": {"type": "string"}}}


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def deploy(api, **body):
    body = {"flow_name": "etl", "name": "daily", "entrypoint": "flows.py:etl", **body}
    status, dep = await api("POST", "deployments", body=body)
    assert status in (200, 201), dep
    return dep


async def test_deployment_crud_and_lookup_by_name(api):
    dep = await deploy(api, parameters={"n": 1}, tags=["t"], schedules=[{"cron": "0 9 * * *"}])
    for field in ("id", "name", "flow_name", "parameter_openapi_schema", "parameters", "schedules"):
        assert field in dep
    assert dep["paused"] is False and dep["work_pool_name"] in (None, "default")
    (sched,) = dep["schedules"]
    assert sched["schedule"]["cron"] == "0 9 * * *" and "09:00" in sched["description"]
    again = await deploy(api, parameters={"n": 2})  # create-or-update by (flow, name)
    assert again["id"] == dep["id"] and again["parameters"] == {"n": 2}
    status, by_name = await api("GET", "deployments/name/etl/daily")
    assert status == 200 and by_name["id"] == dep["id"]
    assert (await api("GET", "deployments/name/etl/nope"))[0] == 404
    status, page = await api("GET", "deployments", params={"flow_name": "etl"})
    assert status == 200 and [d["id"] for d in page["items"]] == [dep["id"]]
    status, patched = await api("PATCH", f"deployments/{dep['id']}", body={"description": "d"})
    assert status == 200 and patched["description"] == "d"
    assert (await api("DELETE", f"deployments/{dep['id']}"))[0] == 204
    assert (await api("GET", f"deployments/{dep['id']}"))[0] == 404


async def test_create_flow_run_merges_and_validates_parameters(api):
    dep = await deploy(api, parameters={"n": 1, "who": "a"}, parameter_openapi_schema=SCHEMA)
    status, run = await api(
        "POST", f"deployments/{dep['id']}/create_flow_run", body={"parameters": {"who": "b"}, "tags": ["x"]}
    )
    assert status == 201, run
    assert run["parameters"] == {"n": 1, "who": "b"} and run["deployment_id"] == dep["id"]
    assert run["state_type"] == "SCHEDULED" and "x" in run["tags"]
    status, err = await api(
        "POST", f"deployments/{dep['id']}/create_flow_run", body={"parameters": {"n": "x"}}
    )
    assert status == 422 and err["error"] and "n" in err["message"], err


@pytest.mark.parametrize(
    "schedule,words",
    [({"cron": "61 * * * *"}, "cron"), ({"cron": "not a cron"}, "cron"), ({"interval": -5}, "interval")],
)
async def test_bad_schedule_is_422_with_a_clear_message(api, schedule, words):
    status, err = await api(
        "POST", "deployments", body={"flow_name": "etl", "name": "bad", "schedules": [schedule]}
    )
    assert status == 422, err
    assert words in err["message"] and "schedules[0]" in err["message"]
    status, err = await api("POST", "schedules/preview", body=schedule)
    assert status == 422 and words in err["message"]


async def test_unknown_pool_is_422_naming_it(api):
    status, err = await api(
        "POST", "deployments", body={"flow_name": "etl", "name": "d", "work_pool_name": "ghost"}
    )
    assert status == 422 and "ghost" in err["message"] and "work pool" in err["message"], err


async def test_schedule_preview(api):
    status, body = await api(
        "POST", "schedules/preview", body={"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "count": 3}
    )
    assert status == 200 and len(body["next_runs"]) == 3 and body["description"]
    status, body = await api("POST", "schedules/preview", body={"interval": 90})
    assert status == 200 and len(body["next_runs"]) == 5


async def test_pause_removes_and_resume_recreates_auto_scheduled_runs(api, server_db_url):
    dep = await deploy(api, schedules=[{"interval": 600}])

    async def auto_runs() -> int:
        status, page = await api(
            "GET", "flow_runs", params={"deployment_id": dep["id"], "state_type": "SCHEDULED"}
        )
        assert status == 200
        return len(page["items"])

    def scheduler_pass() -> int:
        with session_scope(server_db_url) as s:
            return schedule_runs(s)

    assert await auto_runs() >= 3 and scheduler_pass() == 0  # created with the deployment
    status, paused = await api("POST", f"deployments/{dep['id']}/pause")
    assert status == 200 and paused["paused"] is True
    assert await auto_runs() == 0 and scheduler_pass() == 0
    status, resumed = await api("POST", f"deployments/{dep['id']}/resume")
    assert status == 200 and resumed["paused"] is False
    assert await auto_runs() >= 3 and scheduler_pass() == 0  # created as it was resumed


async def test_work_pools_and_queues_crud(api):
    status, pool = await api("POST", "work_pools", body={"name": "gpu", "concurrency_limit": 2})
    assert status == 201 and pool["status"] == "READY" and [q["name"] for q in pool["queues"]] == ["default"]
    assert (await api("POST", "work_pools", body={"name": "gpu"}))[0] == 409
    status, pool = await api("PATCH", "work_pools/gpu", body={"concurrency_limit": 4})
    assert status == 200 and pool["concurrency_limit"] == 4
    assert (await api("POST", "work_pools/gpu/pause"))[1]["status"] == "PAUSED"
    assert (await api("POST", "work_pools/gpu/resume"))[1]["status"] == "READY"
    status, queue = await api("POST", "work_pools/gpu/queues", body={"name": "urgent", "priority": 1})
    assert status == 201 and queue["name"] == "urgent"
    status, queue = await api("PATCH", "work_pools/gpu/queues/urgent", body={"priority": 5})
    assert status == 200 and queue["priority"] == 5
    status, queues = await api("GET", "work_pools/gpu/queues")
    assert {q["name"] for q in (queues["items"] if isinstance(queues, dict) else queues)} == {
        "default",
        "urgent",
    }
    assert (await api("DELETE", "work_pools/gpu/queues/urgent"))[0] == 204
    assert (await api("DELETE", "work_pools/gpu/queues/default"))[0] == 422
    status, pools = await api("GET", "work_pools")
    assert {"default", "gpu"} <= {p["name"] for p in pools["items"]}
    assert (await api("DELETE", "work_pools/gpu"))[0] == 204
    assert (await api("GET", "work_pools/gpu"))[0] == 404


async def test_concurrent_claimers_get_disjoint_runs_through_pending(api):
    await api("POST", "work_pools", body={"name": "p1"})
    dep = await deploy(api, work_pool_name="p1")
    ids = set()
    for _ in range(6):
        status, run = await api("POST", f"deployments/{dep['id']}/create_flow_run", body={})
        assert status == 201
        ids.add(run["id"])

    async def claim(worker: str):
        status, body = await api(
            "POST", "work_pools/p1/get_scheduled_flow_runs", body={"worker_name": worker, "limit": 4}
        )
        assert status == 200, body
        return body if isinstance(body, list) else body["items"]

    a, b = await asyncio.gather(claim("w1"), claim("w2"))
    got_a, got_b = {r["id"] for r in a}, {r["id"] for r in b}
    assert not got_a & got_b and got_a | got_b == ids
    for run_id in ids:
        status, run = await api("GET", f"flow_runs/{run_id}")
        assert run["state_type"] == "PENDING"
    assert await claim("w3") == []  # nothing left
    status, err = await api("POST", "work_pools/ghost/get_scheduled_flow_runs", body={"worker_name": "w"})
    assert status == 422 and "ghost" in err["message"]


async def test_worker_heartbeat_registers_and_reports_run_states(api):
    dep = await deploy(api)
    status, run = await api("POST", f"deployments/{dep['id']}/create_flow_run", body={})
    status, body = await api(
        "POST",
        "work_pools/default/workers/heartbeat",
        body={"name": "w1", "running_flow_run_ids": [run["id"]]},
    )
    assert status == 200, body
    assert "SCHEDULED" in str(body)
    status, workers = await api("GET", "workers", params={"work_pool_name": "default"})
    assert status == 200 and [w["name"] for w in workers["items"]] == ["w1"]


async def test_concurrency_limits_crud_and_slots(api):
    status, limit = await api("POST", "concurrency_limits", body={"tag": "db", "concurrency_limit": 1})
    assert status == 201 and limit["concurrency_limit"] == 1 and limit["active_slots"] == 0
    holder_a, holder_b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    inc = "concurrency_limits/increment"
    assert (await api("POST", inc, body={"tags": ["db", "free"], "holder_id": holder_a}))[1] == {
        "acquired": True
    }
    assert (await api("POST", inc, body={"tags": ["db"], "holder_id": holder_b}))[1] == {"acquired": False}
    status, page = await api("GET", "concurrency_limits")
    assert page["items"][0]["active_holders"] == [holder_a]
    status, out = await api("POST", "concurrency_limits/decrement", body={"holder_id": holder_a})
    assert status == 200 and out == {"released": 1}
    assert (await api("POST", inc, body={"tags": ["db"], "holder_id": holder_b}))[1] == {"acquired": True}
    assert (await api("POST", "concurrency_limits", body={"tag": "db", "concurrency_limit": -1}))[0] == 422
    assert (await api("DELETE", "concurrency_limits/db"))[0] == 204
    assert (await api("DELETE", "concurrency_limits/db"))[0] == 404


async def test_notifications_crud_and_ui_messages(api):
    body = {"name": "fails", "channel": "ui", "state_names": ["Failed"]}
    status, policy = await api("POST", "notifications", body=body)
    assert status == 201 and policy["channel"] == "ui"
    status, bad = await api("POST", "notifications", body={"name": "x", "channel": "webhook", "config": {}})
    assert status == 422 and "url" in bad["message"]
    status, run = await api("POST", "flow_runs", body={"flow_name": "nightly", "name": "night-1"})
    for state in ("RUNNING", "FAILED"):
        status, _ = await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": state}})
        assert status == 200
    status, messages = await api("GET", "notifications/messages")
    assert status == 200
    items = messages["items"] if isinstance(messages, dict) else messages
    assert any("night-1" in str(m) and "Failed" in str(m) for m in items), items
    status, page = await api("GET", "notifications")
    assert [p["name"] for p in page["items"]] == ["fails"]
    assert (await api("DELETE", f"notifications/{policy['id']}"))[0] == 204
    assert (await api("GET", "notifications"))[1]["items"] == []


async def test_answers_match_their_documented_models(api):
    """The UI's types are generated from these models, so the answers must keep to them."""
    from jsonschema import Draft202012Validator

    status, doc = await api("GET", "openapi.json")
    assert status == 200

    def check(model: str, value) -> None:
        schema = {**doc, "$ref": f"#/components/schemas/{model}"}
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(value)]
        assert not errors, (model, errors)

    bad = Draft202012Validator({**doc, "$ref": "#/components/schemas/DeploymentOut"})
    assert not bad.is_valid({"id": 1})  # the check sees the model, not an empty schema
    dep = await deploy(api, parameter_openapi_schema=SCHEMA, schedules=[{"cron": "0 9 * * *"}])
    check("DeploymentOut", dep)
    assert dep["schedules"][0]["next_runs"] and dep["schedules"][0]["description"]
    check("DeploymentOut", (await api("POST", f"deployments/{dep['id']}/pause"))[1])
    check("DeploymentOut", (await api("GET", "deployments/name/etl/daily"))[1])
    check("Page_DeploymentOut_", (await api("GET", "deployments"))[1])
    status, run = await api("POST", f"deployments/{dep['id']}/create_flow_run", body={})
    assert status == 201
    check("FlowRunOut", run)
    check("PreviewOut", (await api("POST", "schedules/preview", body={"cron": "0 9 * * *", "count": 2}))[1])
    status, pool = await api("POST", "work_pools", body={"name": "documented", "concurrency_limit": 2})
    assert status == 201 and pool["queues"]
    check("WorkPoolOut", pool)
    check("WorkPoolOut", (await api("POST", "work_pools/documented/pause"))[1])
    check("Page_WorkPoolOut_", (await api("GET", "work_pools"))[1])
    check("QueueOut", (await api("POST", "work_pools/documented/queues", body={"name": "q2"}))[1])
    check("Page_QueueOut_", (await api("GET", "work_pools/documented/queues"))[1])
    status, _ = await api(
        "POST", "work_pools/documented/workers/heartbeat", body={"name": "w1", "hostname": "h", "pid": 7}
    )
    assert status == 200
    status, workers = await api("GET", "workers", params={"work_pool_name": "documented"})
    assert status == 200 and [w["name"] for w in workers["items"]] == ["w1"]
    check("Page_WorkerOut_", workers)
