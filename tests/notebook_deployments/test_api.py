"""The REST side of notebook deployments, on a real Jupyter server: parameters of a notebook under
the server root, deploying it by path (schema + snapshot), and 422s naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nbhelpers import write_notebook
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_server_config(db_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_orch": True}},
        "OrchApp": {
            "database_url": db_url,
            "home": str(tmp_path / "orch-home"),
            "set_client_env": False,
            "background_services": False,
        },
    }


@pytest.fixture
def api(jp_fetch):
    async def call(method: str, route: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        kw: dict[str, Any] = {"method": method, "params": params}
        if method != "GET":
            kw["body"] = json.dumps(body or {})
        try:
            resp = await jp_fetch("orch", "api", *route.split("/"), **kw)
        except HTTPClientError as exc:
            resp = exc.response
        return resp.code, json.loads(resp.body) if resp.body else None

    return call


@pytest.fixture
def notebook(jp_root_dir: Path) -> Path:
    (jp_root_dir / "reports").mkdir()
    return write_notebook(
        jp_root_dir / "reports" / "daily.ipynb", "day: str = 'x'\nn: int = 2", "print(day * n)"
    )


async def test_parameters_of_a_notebook_under_the_root(api, notebook: Path, tmp_path: Path) -> None:
    status, schema = await api("GET", "notebooks/parameters", path="reports/daily.ipynb")
    assert status == 200
    assert schema["properties"]["n"] == {"title": "n", "type": "integer", "default": 2}
    outside = write_notebook(tmp_path / "secret.ipynb", "token = 's3cret'")
    for bad in ("../secret.ipynb", str(outside), "reports/../../secret.ipynb"):
        status, body = await api("GET", "notebooks/parameters", path=bad)
        assert status == 422 and body["field"] == "path", bad
    status, body = await api("GET", "notebooks/parameters", path="reports/missing.ipynb")
    assert status == 404


async def test_deploying_by_path_snapshots_and_validates(api, notebook: Path, tmp_path: Path) -> None:
    body = {"name": "ui", "flow_name": "daily", "kind": "notebook", "path": "reports/daily.ipynb"}
    status, dep = await api("POST", "deployments", {**body, "parameters": {"n": 3}})
    assert status == 200, dep
    assert dep["parameter_openapi_schema"]["properties"]["day"]["type"] == "string"
    assert dep["parameters"] == {"n": 3} and dep["path"] == str(notebook)
    snapshot = Path(dep["storage"]["notebook"])
    assert dep["storage"]["type"] == "snapshot" and snapshot.is_file()
    assert snapshot.parent == tmp_path / "orch-home" / "deployments" / dep["id"]
    status, err = await api("POST", f"deployments/{dep['id']}/create_flow_run", {"parameters": {"n": "many"}})
    assert status == 422 and err["field"] == "parameters.n" and "integer" in err["message"]
    status, err = await api("POST", "deployments", {**body, "parameters": {"n": [1]}})
    assert status == 422 and err["field"] == "parameters.n"
    status, err = await api("POST", "deployments", {**body, "path": "../escape.ipynb"})
    assert status == 422 and err["field"] == "path"
    status, live = await api("POST", "deployments", {**body, "name": "lv", "storage": {"type": "live"}})
    assert status == 200 and live["storage"] == {
        "type": "live",
        "source": str(notebook),
        "notebook": str(notebook),
    }


async def test_output_notebook_of_a_run(api, notebook: Path, tmp_path: Path) -> None:
    """The run page opens a run's output notebook through the API, but only from served places."""

    outputs = tmp_path / "orch-home" / "outputs"
    outputs.mkdir(parents=True)
    produced = write_notebook(outputs / "run.ipynb", "n = 1", "print('done')")
    secret = write_notebook(tmp_path / "elsewhere.ipynb", "token = 's3cret'")
    status, run = await api("POST", "flow_runs", {"flow_name": "daily"})
    assert status == 201
    status, body = await api("GET", f"flow_runs/{run['id']}/output")
    assert status == 404 and "no output notebook" in body["message"]

    status, _ = await api("PATCH", f"flow_runs/{run['id']}", {"output_location": str(produced)})
    assert status == 200
    status, nb = await api("GET", f"flow_runs/{run['id']}/output")
    assert status == 200
    assert nb["nbformat"] == 4 and "print('done')" in "".join(c["source"] for c in nb["cells"])

    await api("PATCH", f"flow_runs/{run['id']}", {"output_location": str(secret)})
    status, body = await api("GET", f"flow_runs/{run['id']}/output")
    assert status == 404 and "token" not in json.dumps(body)
    produced.unlink()
    await api("PATCH", f"flow_runs/{run['id']}", {"output_location": str(produced)})
    status, _ = await api("GET", f"flow_runs/{run['id']}/output")
    assert status == 404
