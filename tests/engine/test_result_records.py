"""Result records and the state helpers as Prefect 3's: `ResultStore.create_result_record` /
`persist_result_record`, `Completed(data=record)`, the older `PersistedResult`,
`jupyter_orch.serializers`, the failure helpers of `jupyter_orch._states`, and
`return_value_to_state(value, store, write_result=...)` (awaitable in a loop) that wraps a
run's value in a record of the store. A flow that returns a state holding a written record is
recorded with the record's storage reference, so another process reads the value back; a value
held in memory only is never recorded as one."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from jupyter_orch import flow
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.results import PersistedResult, ResultRecord, ResultRecordMetadata, ResultStore
from jupyter_orch.serializers import CompressedSerializer, JSONSerializer, PickleSerializer
from jupyter_orch.states import Completed, Failed, Running, State, return_value_to_state


def test_serializers_round_trip_by_prefect_type_names():
    for serializer, kind in [
        (PickleSerializer(), "pickle"),
        (JSONSerializer(), "json"),
        (CompressedSerializer(serializer="json"), "compressed/json"),
    ]:
        assert serializer.type == kind
        assert serializer.loads(serializer.dumps({"a": [1, 2]})) == {"a": [1, 2]}
    with pytest.raises(ValueError, match="pickle' or 'json"):
        CompressedSerializer(serializer="yaml")


def test_a_state_holding_a_record_answers_its_result():
    record = ResultRecord(
        result="v", metadata=ResultRecordMetadata(serializer=JSONSerializer(), storage_key="k")
    )
    state = Completed(data=record)
    assert state.data is record and state.result() == "v"
    legacy = PersistedResult(serializer_type="pickle", storage_key="nowhere")
    legacy._cache = "cached"
    assert Completed(data=legacy).result() == "cached"


def test_state_details_name_the_run():
    run_id = uuid.uuid4()
    state = Completed(data=1, state_details={"task_run_id": run_id})
    assert state.state_details.task_run_id == run_id and state.result() == 1


def test_store_records_are_written_only_when_asked(tmp_path: Path):
    store = ResultStore(result_storage=str(tmp_path))
    state = return_value_to_state(Completed(data=None), store)  # sync caller: the state itself
    assert isinstance(state.data, ResultRecord) and not Path(state.data.metadata.storage_key).exists()
    written = return_value_to_state(5, store, write_result=True)
    assert Path(written.data.metadata.storage_key).exists() and written.result() == 5
    assert ResultStore(result_storage=str(tmp_path)).read(Path(written.data.metadata.storage_key).name) == 5


def test_return_value_to_state_is_awaitable_in_a_loop(tmp_path: Path):
    store = ResultStore(result_storage=str(tmp_path), persist_result=True)

    async def main() -> tuple[State, State, State]:
        legacy = await store.create_result(42)
        mixed = await return_value_to_state([Completed(), Running(), Failed()], store)
        return await return_value_to_state(legacy, store), mixed, await return_value_to_state("x", store)

    from_legacy, mixed, plain = asyncio.run(main())
    assert isinstance(from_legacy.data, PersistedResult) and from_legacy.result() == 42
    assert mixed.is_failed() and mixed.message == "1/3 states failed."
    assert plain.is_completed() and plain.result() == "x"


def test_a_returned_written_record_is_recorded_as_a_reference(records, tmp_path: Path):
    store = ResultStore(result_storage=str(tmp_path))

    @flow
    def returns_record():
        record = store.create_result_record({"rows": 3})
        store.persist_result_record(record)
        return Completed(data=record, message="stored")

    assert returns_record() == {"rows": 3}
    run = records.only_flow_run("returns-record")
    assert run["state"]["message"] == "stored"
    state = SyncPrefectClient().read_flow_run(run["id"]).state  # read back: the reference only
    assert state.result() == {"rows": 3}


def test_failure_helpers_word_and_store_exceptions(tmp_path: Path):
    import signal

    from jupyter_orch._states import exception_to_crashed_state_sync, exception_to_failed_state_sync
    from jupyter_orch.exceptions import TerminationSignal

    error = RuntimeError("boom")
    crashed = exception_to_crashed_state_sync(error)
    assert crashed.is_crashed() and crashed.data is error
    assert crashed.message == "Execution was interrupted by an unexpected exception: RuntimeError: boom"
    assert (
        "termination signal"
        in exception_to_crashed_state_sync(TerminationSignal(signal=signal.SIGTERM)).message
    )
    assert "system exit" in exception_to_crashed_state_sync(SystemExit(1)).message
    failed = exception_to_failed_state_sync(ValueError("bad"), message="While loading:")
    assert failed.message == "While loading: ValueError: bad" and failed.state_details.retriable is False
    with pytest.raises(ValueError, match="no active exception"):
        exception_to_failed_state_sync()
    store = ResultStore(result_storage=str(tmp_path))
    stored = exception_to_failed_state_sync(KeyError("k"), result_store=store, write_result=True)
    assert Path(stored.data.metadata.storage_key).exists()
    only_metadata = Failed(data=stored.data.metadata)  # as a state that keeps just where it is
    with pytest.raises(KeyError, match="k"):
        only_metadata.result()


def test_sync_return_value_to_state_inside_a_loop(tmp_path: Path):
    from jupyter_orch._states import return_value_to_state_sync
    from jupyter_orch.states import Paused, araise_state_exception

    store = ResultStore(result_storage=str(tmp_path))

    async def main() -> State:
        with pytest.raises(ValueError, match="inner"):
            await araise_state_exception(Failed(data=ValueError("inner")))
        return return_value_to_state_sync([Completed(), Paused()], store)

    paused = asyncio.run(main())
    assert (
        paused.is_paused()
        and paused.message == "1/2 states paused."
        and isinstance(paused.data, ResultRecord)
    )
    numbers = return_value_to_state_sync((n for n in range(3)), store)
    assert numbers.result() == [0, 1, 2]


def test_a_value_held_by_a_returned_state_is_not_recorded_as_a_reference(records):
    @flow
    def returns_state():
        return Completed(data=[1], message="value")

    state = returns_state(return_state=True)
    assert state.result() == [1] and state.data.result == [1]  # a completed state's data: its record
    run = records.only_flow_run("returns-state")
    assert run["state"]["message"] == "value"
    assert run["state"]["data"] is None  # the value stayed in memory: no reference was recorded
