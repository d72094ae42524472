"""A null where a deployment keeps a JSON object or list means "empty", never a stored null that
breaks the documented answer (found by schemathesis with 25 cases an operation)."""

from __future__ import annotations

import pytest


@pytest.fixture
def server_db_url(db_url: str) -> str:
    return db_url


async def test_null_json_fields_are_stored_empty(api) -> None:
    nulls = {
        "tags": None,
        "parameters": None,
        "storage": None,
        "job_variables": None,
        "empirical_policy": None,
    }
    status, dep = await api("POST", "deployments", body={"flow_name": "f", "name": "d", **nulls})
    assert status in (200, 201), dep
    assert dep["tags"] == [] and dep["parameters"] == {} and dep["storage"] == {}
    assert dep["job_variables"] == {} and dep["empirical_policy"] == {}
    status, patched = await api("PATCH", f"deployments/{dep['id']}", body={"tags": None})
    assert status == 200 and patched["tags"] == []
