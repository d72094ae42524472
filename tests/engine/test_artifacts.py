"""Artifacts as Prefect has them: link, image, progress (and its updates), table and markdown,
their async variants and classes, inside runs and outside any run."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from jupyter_orch import flow, task
from jupyter_orch.artifacts import (
    Artifact,
    LinkArtifact,
    ProgressArtifact,
    acreate_link_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.serialize import row_to_dict
from jupyter_orch.orchestration.store import logs


def _artifact(url: str, artifact_id: uuid.UUID) -> dict:
    with session_scope(url) as s:
        return row_to_dict(logs.read_artifact(s, str(artifact_id)))


def test_every_kind_in_a_flow_and_a_task(records):
    @task
    def step() -> tuple[uuid.UUID, uuid.UUID]:
        progress = create_progress_artifact(0.0, key="step-progress", description="starting")
        update_progress_artifact(progress, 50)
        update_progress_artifact(progress, 100, description="done")
        return progress, create_image_artifact("https://example.org/plot.png", key="plot")

    @flow
    def reporting():
        link = create_link_artifact("https://example.org/report", link_text="Report", key="report")
        bare = create_link_artifact("https://example.org")
        table = create_table_artifact([[1, 2], [None, float("nan")]], key="grid")
        progress, image = step()
        return link, bare, table, progress, image

    link, bare, table, progress, image = reporting()
    assert all(isinstance(i, uuid.UUID) for i in (link, bare, table, progress, image))
    run = records.only_flow_run("reporting")
    (task_run,) = records.task_runs(run["id"])
    got = {a["id"]: a for a in records.artifacts(run["id"])}
    assert (
        got[str(link)]["type"] == "markdown"
        and got[str(link)]["data"] == "[Report](https://example.org/report)"
    )
    assert got[str(bare)]["data"] == "[https://example.org](https://example.org)"
    assert got[str(table)]["type"] == "table" and json.loads(got[str(table)]["data"]) == [
        [1, 2],
        [None, None],
    ]
    assert got[str(progress)]["type"] == "progress" and got[str(progress)]["data"] == 100.0
    assert got[str(progress)]["description"] == "done"
    assert got[str(progress)]["task_run_id"] == task_run["id"]
    assert got[str(image)]["type"] == "image" and got[str(image)]["data"] == "https://example.org/plot.png"
    assert got[str(link)]["task_run_id"] is None and got[str(link)]["flow_run_id"] == run["id"]


def test_outside_any_run_an_artifact_has_no_run(orch_env):
    artifact_id = create_markdown_artifact("# standalone", key="standalone")
    row = _artifact(orch_env, artifact_id)  # written before the call returned
    assert row["flow_run_id"] is None and row["task_run_id"] is None and row["data"] == "# standalone"
    progress = create_progress_artifact(10)
    update_progress_artifact(progress, 75.5)
    assert _artifact(orch_env, progress)["data"] == 75.5
    latest = Artifact.get("standalone")
    assert latest is not None and latest.id == artifact_id and latest.data == "# standalone"
    assert Artifact.get("no-such-key") is None


def test_async_variants_in_an_async_flow_and_outside(orch_env):
    @flow
    async def async_reporting():
        link = await acreate_link_artifact("https://example.org", key="alink")
        progress = await acreate_progress_artifact(1)
        await aupdate_progress_artifact(progress, 2)
        return link, progress

    link, progress = asyncio.run(async_reporting())
    assert _artifact(orch_env, link)["flow_run_id"] is not None
    assert _artifact(orch_env, progress)["data"] == 2.0

    loose = asyncio.run(acreate_table_artifact({"a": [1, 2]}))
    assert (
        json.loads(_artifact(orch_env, loose)["data"]) == {"a": [1, 2]}
        and _artifact(orch_env, loose)["flow_run_id"] is None
    )


def test_artifact_classes(orch_env):
    @flow
    def with_classes():
        record = LinkArtifact(link="https://example.org", link_text="site", key="site").create()
        progress = ProgressArtifact(progress=30, key="bar").create()
        return record, progress

    record, progress = with_classes()
    assert record.type == "markdown" and record.data == "[site](https://example.org)"
    assert record.flow_run_id is not None and progress.data == 30.0
    stored = _artifact(orch_env, record.id)
    assert stored["flow_run_id"] == str(record.flow_run_id)

    existing, created = Artifact.get_or_create(key="site", data="ignored")
    assert not created and existing.id == record.id
    fresh, created = Artifact.get_or_create(key="brand-new", type="markdown", data="# new")
    assert created and _artifact(orch_env, fresh.id)["data"] == "# new"


def test_bad_artifacts_are_refused(orch_env):
    with pytest.raises(ValueError, match="progress must be a number from 0 to 100"):
        create_progress_artifact(150)
    with pytest.raises(ValueError, match="lowercase letters, numbers, and dashes"):
        create_markdown_artifact("x", key="Not_Valid")
    with pytest.raises(TypeError, match="table artifact"):
        create_table_artifact("not a table")
    progress = create_progress_artifact(1)
    with pytest.raises(ValueError, match="progress must be"):
        update_progress_artifact(progress, -1)
    from jupyter_orch.client import ApiError

    with pytest.raises(ApiError, match="not found"):
        update_progress_artifact(uuid.uuid4(), 5)
