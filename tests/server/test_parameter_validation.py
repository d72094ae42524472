"""Parameter validation over real HTTP on SQLite and PostgreSQL: a Python flow's schema and a
notebook's `parameters` cell, checked with jsonschema; every bad value is a 422 naming the field."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import nbformat
import pytest
from pydantic import Field

from jupyter_orch.parameters import ParameterModel

pytestmark = pytest.mark.postgres


def report(n: int, ids: list[int] | None = None, limit: Annotated[int, Field(ge=1)] = 5) -> None:
    """The flow whose schema the Python deployment stores, as `Flow.to_deployment` would."""


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def _run(api, dep_id: str, parameters: dict) -> tuple[int, dict]:
    return await api("POST", f"deployments/{dep_id}/create_flow_run", body={"parameters": parameters})


async def test_python_deployment_runs_are_coerced_or_422_naming_the_field(api):
    body = {
        "flow_name": "report",
        "name": "daily",
        "entrypoint": "flows.py:report",
        "parameter_openapi_schema": ParameterModel(report).schema(),
        "parameters": {"n": 1},
    }
    status, dep = await api("POST", "deployments", body=body)
    assert status in (200, 201), dep
    status, run = await _run(api, dep["id"], {"n": "5", "ids": ["1", 2]})
    assert status in (200, 201), run
    assert run["parameters"] == {"n": 5, "ids": [1, 2]}  # typed-in strings stored as their types
    cases = [
        ({"n": "abc"}, "parameters.n", "parameter 'n': expected integer, got 'abc'"),
        ({"ids": [1, "x"]}, "parameters.ids[1]", "parameter 'ids[1]': expected integer, got 'x'"),
        ({"limit": 0}, "parameters.limit", "parameter 'limit': 0 is less than the minimum of 1"),
        ({"typo": 1}, "parameters.typo", "unknown parameter 'typo'"),
    ]
    for parameters, field, message in cases:
        status, err = await _run(api, dep["id"], parameters)
        assert status == 422 and err["field"] == field and err["message"].startswith(message), err
    status, err = await api("POST", "deployments", body={**body, "name": "none", "parameters": {}})
    assert status in (200, 201)
    status, err = await _run(api, err["id"], {})
    assert status == 422 and err["field"] == "parameters.n" and "missing required value" in err["message"]
    status, page = await api("GET", "flow_runs", params={"deployment_id": dep["id"]})
    assert status == 200 and len(page["items"]) == 1  # no run was created for a rejected call


async def test_notebook_deployment_validates_against_its_parameters_cell(api, jp_root_dir: Path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("day = date(2024, 1, 1)\nids: list[int] = [1]\nfast = True")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_code_cell("from datetime import date"), cell]
    nbformat.write(nb, jp_root_dir / "weekly.ipynb")
    body = {"name": "w", "flow_name": "weekly", "kind": "notebook", "path": "weekly.ipynb"}
    status, err = await api("POST", "deployments", body={**body, "parameters": {"day": "2024-02-30"}})
    assert status == 422 and err["field"] == "parameters.day" and "expected string (date)" in err["message"]
    status, dep = await api("POST", "deployments", body={**body, "parameters": {"fast": "false"}})
    assert status in (200, 201), dep
    assert dep["parameters"] == {"fast": False}
    status, run = await _run(api, dep["id"], {"day": dt.date(2024, 3, 1).isoformat(), "ids": ["2"]})
    assert status in (200, 201) and run["parameters"]["ids"] == [2], run
    status, err = await _run(api, dep["id"], {"ids": [1, "x"]})
    assert status == 422 and err["field"] == "parameters.ids[1]", err
