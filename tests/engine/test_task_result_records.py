"""A task run's result as Prefect 3 keeps it: `state.data` of a completed run is a `ResultRecord`
(its `metadata.storage_key`: the absolute place it was written, or would be); a body may return a
record it wrote itself; an explicit `result_storage_key` whose value is already stored (by an
earlier run or a `ResultStore`) is reused, and a cache entry whose file was deleted runs again;
a completed state read from the API without a stored value says its result is missing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from jupyter_orch import task
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.context import TaskRunContext
from jupyter_orch.exceptions import MissingResult
from jupyter_orch.results import ResultRecord, ResultStore
from jupyter_orch.task_engine import run_task_async, run_task_sync


def test_a_completed_run_holds_a_result_record(records):
    @task(persist_result=True, result_storage_key="answer-key")
    def stored() -> int:
        return 42

    @task(persist_result=False)
    def kept() -> int:
        return 7

    state = stored(return_state=True)
    assert isinstance(state.data, ResultRecord) and state.data.result == 42
    key = Path(state.data.metadata.storage_key)
    assert key.is_absolute() and key.name == "answer-key" and key.exists()
    local = kept(return_state=True)
    assert isinstance(local.data, ResultRecord) and local.result() == 7
    assert not Path(local.data.metadata.storage_key).exists()


def test_a_body_may_return_a_record_it_wrote(records):
    @task
    def writes() -> ResultRecord:
        store = ResultStore()
        record = store.create_result_record({"rows": 3})
        store.persist_result_record(record)
        return record

    state = writes(return_state=True)
    assert state.result() == {"rows": 3}
    run = SyncPrefectClient().read_task_run(state.state_details.task_run_id)
    assert run.state.result() == {"rows": 3}  # the record's reference was recorded


def test_an_explicit_storage_key_reuses_what_is_stored_and_reruns_when_deleted(records, tmp_path):
    ResultStore(result_storage=str(tmp_path)).write(-92, key="given")
    calls = []

    @task(result_storage=str(tmp_path), result_storage_key="given", persist_result=True)
    async def compute() -> int:
        calls.append(1)
        return 5

    state = asyncio.run(run_task_async(compute, return_type="state"))
    assert state.is_completed() and state.result() == -92 and calls == []
    os.unlink(tmp_path / "given")
    assert asyncio.run(run_task_async(compute)) == 5 and calls == [1]  # the cache entry lost its file
    assert (tmp_path / "given").exists()


def test_an_unpersisted_result_read_from_the_api_is_missing(records):
    @task(persist_result=False)
    def quiet() -> str:
        return str(TaskRunContext.get().task_run.id)

    run_id = run_task_sync(quiet)
    with pytest.raises(MissingResult, match="State data is missing"):
        SyncPrefectClient().read_task_run(run_id).state.result()
