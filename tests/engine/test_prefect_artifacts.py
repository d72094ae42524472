"""Artifacts as Prefect 3 answers them: the API's records read over the in-process HTTP client
fixtures (`client`, `sync_client`) as `server.schemas.core.Artifact`, rich (HTML) artifacts, the
sync names answering awaitables in async code, and the warning outside any run."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from jupyter_orch import flow, task
from jupyter_orch.artifacts import (
    Artifact,
    RichArtifact,
    acreate_rich_artifact,
    create_link_artifact,
    create_progress_artifact,
    create_rich_artifact,
    update_progress_artifact,
)
from jupyter_orch.context import get_run_context
from jupyter_orch.server import schemas
from jupyter_orch.testing.api_client import api_client, sync_api_client


async def test_records_read_over_the_api_client_belong_to_their_runs(orch_env: str) -> None:
    @task
    def step() -> tuple[uuid.UUID, uuid.UUID]:
        html = "<p>hi</p>"
        return create_rich_artifact(
            html, key="page", sandbox=[], csp="default-src 'self'"
        ), get_run_context().task_run.id

    @flow
    def pipeline() -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        artifact_id, task_run_id = step()
        return artifact_id, get_run_context().flow_run.id, task_run_id

    artifact_id, flow_run_id, task_run_id = pipeline()
    async with api_client() as client:
        response = await client.get(f"/artifacts/{artifact_id}")
        missing = await client.get(f"/artifacts/{uuid.uuid4()}")
    assert response.status_code == 200 and missing.status_code == 404
    record = schemas.core.Artifact.model_validate(response.json())
    assert record.type == "rich" and record.key == "page"
    assert record.data == {"html": "<p>hi</p>", "sandbox": [], "csp": "default-src 'self'"}
    assert record.flow_run_id == flow_run_id and record.task_run_id == task_run_id


async def test_in_async_code_the_sync_names_answer_awaitables(orch_env: str) -> None:
    @flow
    async def pipeline() -> uuid.UUID:
        pending = create_progress_artifact(0.0, key="progress")
        assert asyncio.iscoroutine(pending)
        artifact_id = await pending
        update = update_progress_artifact(artifact_id, 40.0)
        assert asyncio.iscoroutine(update)
        await update
        assert isinstance(create_link_artifact("https://a.b", _sync=True), uuid.UUID)
        return await acreate_rich_artifact("<b>x</b>")

    rich_id = await pipeline()
    with sync_api_client() as http:
        items = http.get("/artifacts", params={"key": "progress"}).json()["items"]
        rich = http.get(f"/artifacts/{rich_id}").json()
    assert [a["data"] for a in items] == [40.0]
    assert rich["data"] == {"html": "<b>x</b>", "sandbox": ["allow-scripts"]}


def test_outside_any_run_an_artifact_is_recorded_with_a_warning(orch_env: str) -> None:
    with pytest.warns(FutureWarning, match="outside of a flow or task run"):
        artifact_id = create_link_artifact("https://example.com", "Example")
    with sync_api_client() as http:
        assert http.get(f"/artifacts/{artifact_id}").json()["flow_run_id"] is None


async def test_artifact_classes_format_and_get_or_create(orch_env: str) -> None:
    artifact = Artifact(type="test", key="k", data={"key": "value"})
    assert artifact.format() == await artifact.aformat() == json.dumps({"key": "value"})
    assert RichArtifact(html="<i/>").format() == {"html": "<i/>", "sandbox": ["allow-scripts"]}

    @flow
    async def pipeline() -> tuple[object, bool]:
        return await Artifact.aget_or_create(key="once", type="test", data={"n": 1})

    first, created = await pipeline()
    again, created_again = await pipeline()
    assert created and not created_again and first.id == again.id


def test_the_plugin_offers_the_client_fixtures(client: httpx.AsyncClient, sync_client: httpx.Client) -> None:
    assert isinstance(client, httpx.AsyncClient) and isinstance(sync_client, httpx.Client)


async def test_get_most_recent_flow_run(orch_env: str) -> None:
    from jupyter_orch.testing.utilities import get_most_recent_flow_run

    @flow(version="7")
    def first(x: int) -> int:
        return x

    first(1)
    first(2)
    run = await get_most_recent_flow_run()
    assert run.parameters == {"x": 2} and run.flow_version == "7"
    assert (await get_most_recent_flow_run(flow_name="nothing")) is None
