"""Error responses: one shape, the right status, the field named; auth on every route."""

from __future__ import annotations

import re
import uuid

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_orch.api.table import route_table


async def test_malformed_json_is_400(api):
    status, err = await api("POST", "flow_runs", raw=b'{"flow_name": ')
    assert status == 400 and err["error"] == "malformed"
    status, err = await api("POST", "flow_runs", raw=b'{"flow_name": "f", "parameters": {"x": NaN}}')
    assert status == 400


async def test_unknown_id_is_404(api):
    missing = str(uuid.uuid4())
    for path in (
        f"flow_runs/{missing}",
        f"flow_runs/{missing}/states",
        f"task_runs/{missing}",
        f"flows/{missing}",
    ):
        status, err = await api("GET", path)
        assert status == 404 and err["error"] == "not_found", path
    status, err = await api("POST", f"flow_runs/{missing}/set_state", body={"state": {"type": "RUNNING"}})
    assert status == 404
    status, err = await api("GET", "no/such/route")
    assert status == 404 and err["error"] == "not_found"


async def test_duplicate_id_is_409(api):
    run_id = str(uuid.uuid4())
    assert (await api("POST", "flow_runs", body={"flow_name": "f", "id": run_id}))[0] == 201
    status, err = await api("POST", "flow_runs", body={"flow_name": "f", "id": run_id})
    assert status == 409 and err == {"error": "conflict", "message": err["message"], "field": "id"}
    art = str(uuid.uuid4())
    assert (await api("POST", "artifacts", body={"id": art, "type": "markdown"}))[0] == 201
    assert (await api("POST", "artifacts", body={"id": art, "type": "markdown"}))[0] == 409


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "field"),
    [
        ("POST", "flow_runs", {}, None, None),
        ("POST", "flow_runs", {"flow_name": "f", "tags": "notalist"}, None, "tags"),
        ("POST", "flow_runs", {"flow_name": "f", "bogus": 1}, None, "bogus"),
        ("POST", "flow_runs", {"flow_name": "x" * 256}, None, "flow_name"),
        ("POST", "flow_runs", {"flow_name": "f", "state": {"type": "DONE"}}, None, "state.type"),
        ("POST", "flow_runs", {"flow_name": "nul\u0000"}, None, "flow_name"),
        ("POST", "flow_runs", {"flow_name": "f", "deployment_id": str(uuid.uuid4())}, None, "deployment_id"),
        ("GET", "flow_runs", None, {"limit": "0"}, "limit"),
        ("GET", "flow_runs", None, {"limit": "many"}, "limit"),
        ("GET", "flow_runs", None, {"state_type": "NOPE"}, "state_type.0"),
        ("GET", "flow_runs", None, {"start_after": "yesterday"}, "start_after"),
        ("GET", "flow_runs", None, {"cursor": "garbage"}, "cursor"),
        ("GET", "logs", None, {"after_id": str(2**70)}, "after_id"),
        ("GET", "v2/concurrency_limits", None, {"offset": str(2**70)}, "offset"),
        ("POST", "logs", [{"message": 5}], None, "0.message"),
        ("POST", "artifacts", {"type": "video"}, None, "type"),
        ("POST", "task_runs/batch", {"task_runs": [{"id": "x"}]}, None, "task_runs.0.name"),
    ],
)
async def test_invalid_value_is_422_naming_the_field(api, method, path, body, params, field):
    status, err = await api(method, path, body=body, params=params)
    assert status == 422, err
    assert err["error"] == "invalid" and err["message"]
    assert err.get("field") == field


async def test_invalid_transition_body_is_422(api):
    _, run = await api("POST", "flow_runs", body={"flow_name": "f"})
    status, err = await api("POST", f"flow_runs/{run['id']}/set_state", body={"state": {"name": "x"}})
    assert status == 422 and err["field"] == "state.type"


async def test_wrong_method_is_405(api):
    status, err = await api("PUT", "flow_runs", body={})
    assert status == 405 and err["error"] == "method_not_allowed"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_route_refuses_a_request_without_token(api, jp_fetch):
    """Like the extension template's check_auth: each route in the table answers 401 anonymously."""
    anonymous = {"Authorization": ""}
    routes = route_table().routes
    assert routes
    for route in routes:
        body = {} if route.method in ("POST", "PATCH", "PUT") else None
        status, err = await api(route.method, _concrete(route.path), body=body, headers=anonymous)
        # anonymous writes are already stopped by the XSRF check (403), reads by authentication (401)
        expected = (401, "unauthenticated") if route.method == "GET" else (403, "forbidden")
        assert (status, err["error"]) == expected, (route.method, route.path, status, err)
    for page in ("docs", "redoc"):  # browser pages redirect to the login page instead
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("orch", page, headers=anonymous, follow_redirects=False)
        assert info.value.code == 302
