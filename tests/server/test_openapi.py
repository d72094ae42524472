"""The OpenAPI document: valid, and in step with the route table and the server's handlers."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from openapi_spec_validator import validate

from jupyter_orch.api.event_schema import EVENTS_PATH
from jupyter_orch.api.table import PREFIX, route_table


async def test_openapi_is_valid_and_matches_route_table(api):
    status, doc = await api("GET", "openapi.json")
    assert status == 200
    validate(doc)
    in_doc = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    in_table = {(r.method, PREFIX + r.path) for r in route_table().routes}
    assert in_doc == in_table | {("GET", PREFIX + EVENTS_PATH)}  # the WebSocket is documented too
    events = doc["paths"][PREFIX + EVENTS_PATH]["get"]
    assert events["x-websocket"] is True and "101" in events["responses"]
    assert events["responses"]["101"]["content"]["application/json"]["schema"]["$ref"].endswith("/EventOut")
    for route in route_table().routes:
        op = doc["paths"][PREFIX + route.path][route.method.lower()]
        assert str(route.status) in op["responses"]
        assert {"400", "401", "403", "404", "409", "422"} <= set(op["responses"])
        assert op["x-jupyter-auth"] == {"resource": "orch", "action": route.action}
        in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert in_path == set(route.path_params)


COMMITTED = Path(__file__).resolve().parents[2] / "labextension" / "openapi.json"


async def test_committed_openapi_json_is_what_the_server_publishes(api):
    """The labextension generates its TypeScript types from the committed copy at build time."""
    status, doc = await api("GET", "openapi.json")
    assert status == 200
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == doc, (
        "labextension/openapi.json is out of date with the server's routes or models: regenerate it with "
        "`python -m jupyter_orch.api.openapi > labextension/openapi.json` and commit it "
        "(then `cd labextension && npm test` checks the TypeScript against the new types)"
    )


async def test_every_route_is_served(api):
    """The handlers were built from the same table: no route falls through to the unknown-route 404."""
    for route in route_table().routes:
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        body = {} if route.method in ("POST", "PATCH", "PUT") else None
        status, answer = await api(route.method, path, body=body)
        assert status != 405, (route.method, route.path)
        assert status < 500, (route.method, route.path, answer)
        if status == 404:
            assert not answer["message"].startswith("no API route"), (route.method, route.path)


async def test_docs_pages_use_only_packaged_assets(jp_fetch):
    for page, asset in (("docs", "swagger-ui-bundle.js"), ("redoc", "redoc.standalone.js")):
        resp = await jp_fetch("orch", page)
        html = resp.body.decode()
        assert resp.code == 200 and asset in html
        assert "http://" not in html and "https://" not in html
        src = html.split(asset)[0].rsplit('"', 1)[-1] + asset
        static = await jp_fetch(*src.strip("/").split("/")[1:])  # drop the base_url's first segment
        assert static.code == 200 and len(static.body) > 100_000
