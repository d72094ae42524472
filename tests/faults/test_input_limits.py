"""Finding 3: bad input is a 4xx naming the field, never a 500, and every limit is a setting.

Over HTTP against a real Jupyter server (pytest-jupyter's `jp_fetch`) on SQLite and PostgreSQL:
impossible crons, absurd intervals, integers past 64 bits, JSON nested 100,000 deep, 10 MB bodies,
and a PATCH that must validate exactly as the POST does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_orch.server.process import ServerProcess
from jupyter_orch.settings import Limits, limits_from_env

MB = 1_000_000


@pytest.fixture
def jp_server_config(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """The server under test; a test marked `orch_config(**traits)` sets more OrchApp traits."""
    marker = request.node.get_closest_marker("orch_config")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_orch": True}},
        "OrchApp": {
            "database_url": db_url,
            "home": str(tmp_path / "orch-home"),
            "set_client_env": False,
            "background_services": False,
            **(marker.kwargs if marker else {}),
        },
    }


@pytest.fixture
def http(jp_fetch):
    """`await http(method, path, body=obj | raw=bytes)` → (status, decoded JSON body)."""

    async def call(method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        kwargs: dict[str, Any] = {"method": method}
        if data is not None or method in ("POST", "PATCH"):
            kwargs["body"] = data or b""
        try:
            resp = await jp_fetch("orch", "api", *path.strip("/").split("/"), **kwargs)
        except HTTPClientError as exc:
            resp = exc.response
            assert resp is not None, exc
        text = resp.body.decode() if resp.body else ""
        return resp.code, (json.loads(text) if text else None)

    return call


def _dep(name: str, **fields: Any) -> dict[str, Any]:
    return {"flow_name": "limits", "name": name, "entrypoint": "flows.py:f", **fields}


async def _refused(
    http, method: str, path: str, status: int, field: str, body: Any = None, raw: bytes | None = None
) -> dict:
    code, out = await http(method, path, body=body, raw=raw)
    assert (code, out.get("field")) == (status, field), (code, out)
    assert out["message"]
    return out


async def test_impossible_cron_is_a_422_with_the_reason_on_create_and_preview(http) -> None:
    out = await _refused(
        http, "POST", "deployments", 422, "schedules[0].cron", _dep("c", schedules=[{"cron": "0 0 31 2 *"}])
    )
    assert "never fires" in out["message"] and "31" in out["message"]
    out = await _refused(http, "POST", "schedules/preview", 422, "cron", {"cron": "0 0 31 2 *"})
    assert "never fires" in out["message"]
    code, ok = await http("POST", "schedules/preview", {"cron": "0 0 29 2 *"})  # a leap day does come
    assert code == 200 and ok["next_runs"][0][5:10] == "02-29"


@pytest.mark.parametrize("interval", [1e308, 0.0001, 0.5, 10**30])
async def test_interval_beyond_the_limits_is_a_422(http, interval: float) -> None:
    out = await _refused(
        http,
        "POST",
        "deployments",
        422,
        "schedules[0].interval",
        _dep("i", schedules=[{"interval": interval}]),
    )
    assert ("min_schedule_interval" in out["message"]) == (interval < 1)
    await _refused(http, "POST", "schedules/preview", 422, "interval", {"interval": interval})
    code, _ = await http("POST", "deployments", _dep("ok", schedules=[{"interval": 1}]))
    assert code == 200  # the limit itself is accepted


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("deployments", _dep("n", concurrency_limit=2**64), "concurrency_limit"),
        ("deployments", _dep("n", concurrency_limit=2**40), "concurrency_limit"),  # past the int32 column
        ("work_pools", {"name": "p", "concurrency_limit": 2**70}, "concurrency_limit"),
        ("concurrency_limits", {"tag": "t", "concurrency_limit": 2**64}, "concurrency_limit"),
    ],
)
async def test_integers_past_their_column_are_a_422(http, path: str, body: dict, field: str) -> None:
    await _refused(http, "POST", path, 422, field, body)


async def test_a_run_id_that_is_no_uuid_is_a_422_and_a_uuid_is_kept(http) -> None:
    """Schemathesis found it: the run's readable name is derived from its id, and "H³" was a 500."""
    for bad in ("H\u00b3", "not-a-uuid", "0" * 31):
        await _refused(http, "POST", "flow_runs", 422, "id", {"flow_name": "ids", "id": bad})
    run_id = "6f1c2a4e-9b7d-4c3e-8a21-5d0f7e9b3c11"
    code, out = await http("POST", "flow_runs", {"flow_name": "ids", "id": run_id})
    assert (code, out["id"]) == (201, run_id) and out["name"]


async def test_json_nested_100000_deep_is_refused_not_a_500(http) -> None:
    deep = b'{"flow_name": "f", "parameters": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    out = await _refused(http, "POST", "flow_runs", 422, "body", raw=deep)
    assert "nested" in out["message"]
    await _refused(http, "POST", "flow_runs", 422, "body", raw=b"[" * 100_000 + b"]" * 100_000)
    # nesting the parser takes but past the max_json_depth limit (64): 422 naming the field
    value: Any = 1
    for _ in range(100):
        value = {"x": value}
    out = await _refused(
        http, "POST", "flow_runs", 422, "parameters", {"flow_name": "f", "parameters": value}
    )
    assert "max_json_depth" in out["message"]
    await _refused(http, "POST", "deployments", 422, "job_variables", _dep("j", job_variables=value))
    await _refused(
        http, "POST", "task_runs/batch", 422, "task_runs.0.task_inputs", _batch_row(task_inputs=value)
    )


def _batch_row(**fields: Any) -> dict[str, Any]:
    row = {
        "id": "t" * 36,
        "flow_run_id": None,
        "name": "t",
        "task_key": "k",
        "state_id": "s" * 36,
        "state_type": "COMPLETED",
    }
    return {"task_runs": [{**row, **fields}]}


async def test_bodies_beyond_the_size_limits_are_a_413_or_422_naming_the_field(http) -> None:
    big = "x" * (10 * MB)
    await _refused(http, "POST", "flow_runs", 413, "body", {"flow_name": "f", "parameters": {"p": big}})
    await _refused(http, "POST", "deployments", 413, "body", _dep("d", description=big))
    # under the body limit, over the parameters limit (512 kB)
    out = await _refused(
        http, "POST", "flow_runs", 422, "parameters", {"flow_name": "f", "parameters": {"p": "x" * 600_000}}
    )
    assert "max_parameters_bytes" in out["message"]
    code, run = await http("POST", "flow_runs", {"flow_name": "f"})
    assert code == 201
    # logs come in batches (16 MB), each line at most 1 MB
    line = {"flow_run_id": run["id"], "level": 20, "message": "y" * (MB + 1)}
    out = await _refused(http, "POST", "logs", 422, "0.message", [line])
    assert "max_log_message_bytes" in out["message"]
    batch = [{**line, "message": "y" * 500_000} for _ in range(4)]  # 2 MB in one batch: accepted
    code, counted = await http("POST", "logs", batch)
    assert (code, counted) == (201, {"count": 4})
    await _refused(http, "POST", "logs", 413, "body", [{**line, "message": "y" * 900_000} for _ in range(20)])


async def test_patch_validates_a_deployment_exactly_as_post(http, jp_root_dir: Path) -> None:
    code, dep = await http("POST", "deployments", _dep("p", path="/srv/flows"))
    assert code == 200
    for method, path in (("POST", "deployments"), ("PATCH", f"deployments/{dep['id']}")):
        body = {"path": "../../etc/passwd"} if method == "PATCH" else _dep("p", path="../../etc/passwd")
        await _refused(http, method, path, 422, "path", body)
        bad = [{"cron": "0 0 31 2 *"}]
        body = {"schedules": bad} if method == "PATCH" else _dep("p", schedules=bad)
        await _refused(http, method, path, 422, "schedules[0].cron", body)
        body = {"concurrency_limit": 2**64} if method == "PATCH" else _dep("p", concurrency_limit=2**64)
        await _refused(http, method, path, 422, "concurrency_limit", body)
    # a notebook deployment: its path stays under the server root on PATCH as on POST
    nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (jp_root_dir / "etl.ipynb").write_text(json.dumps(nb))
    code, nbdep = await http(
        "POST", "deployments", {"flow_name": "etl", "name": "n", "kind": "notebook", "path": "etl.ipynb"}
    )
    assert code == 200, nbdep
    out = await _refused(
        http, "PATCH", f"deployments/{nbdep['id']}", 422, "path", {"path": "../../etc/passwd"}
    )
    assert "outside the server root" in out["message"] or "'..'" in out["message"]
    code, after = await http("GET", f"deployments/{nbdep['id']}")
    assert after["path"] == nbdep["path"]  # unchanged


def test_limits_come_from_the_environment() -> None:
    env = {"JUPYTER_ORCH_MAX_BODY_BYTES": "2000", "JUPYTER_ORCH_MIN_SCHEDULE_INTERVAL": "0.5"}
    assert limits_from_env(env) == Limits(max_body_bytes=2000, min_schedule_interval=0.5)
    with pytest.raises(ValueError, match="JUPYTER_ORCH_MAX_JSON_DEPTH"):
        limits_from_env({"JUPYTER_ORCH_MAX_JSON_DEPTH": "deep"})


@pytest.mark.orch_config(max_body_bytes=3000, min_schedule_interval=60)
async def test_server_traitlets_set_the_limits(http) -> None:
    await _refused(
        http, "POST", "flow_runs", 413, "body", {"flow_name": "f", "parameters": {"p": "x" * 4000}}
    )
    out = await _refused(http, "POST", "schedules/preview", 422, "interval", {"interval": 30})
    assert "60s" in out["message"]
    code, _ = await http("POST", "schedules/preview", {"interval": 60})
    assert code == 200


def test_a_server_process_takes_its_limits_from_the_environment(tmp_path: Path) -> None:
    """`jupyter orch server` in a subprocess with JUPYTER_ORCH_MAX_BODY_BYTES set."""
    import httpx

    env = {"JUPYTER_ORCH_MAX_BODY_BYTES": "3000"}
    with ServerProcess(f"sqlite:///{tmp_path / 'orch.db'}", tmp_path / "home", env=env) as server:
        client = httpx.Client(base_url=server.url + "/orch/api", headers=server.headers, timeout=30)
        r = client.post("/flow_runs", json={"flow_name": "f", "parameters": {"p": "x" * 4000}})
        assert (r.status_code, r.json()["field"]) == (413, "body")
        assert client.post("/flow_runs", json={"flow_name": "f"}).status_code == 201
        client.close()
