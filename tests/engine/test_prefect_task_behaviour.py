"""Task behaviour as Prefect 3 documents it: a returned state ends the run, every parameter is a
recorded input, a retry without delay goes straight to Retrying, the context knows when the attempt
started, bad run names are refused when the task is made, dropped unfinished futures are reported."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import uuid
from pathlib import Path

import pytest

from jupyter_orch import flow, task
from jupyter_orch.client.orchestration import get_client
from jupyter_orch.context import TaskRunContext
from jupyter_orch.exceptions import MissingResult
from jupyter_orch.filesystems import LocalFileSystem
from jupyter_orch.futures import PrefectConcurrentFuture, PrefectDistributedFuture
from jupyter_orch.states import State, StateType
from jupyter_orch.task_engine import run_task_sync


def test_a_returned_state_is_the_task_runs_end(orch_env: str) -> None:
    @task
    def judged() -> State:
        return State(type=StateType.FAILED, message="judged", data=True)

    @flow
    def pipeline() -> object:
        return judged(return_state=True)

    state = pipeline(return_state=True).result(raise_on_failure=False)
    assert state.is_failed() and state.message == "judged"
    assert state.result(raise_on_failure=False) is True


def test_every_parameter_is_a_recorded_input(orch_env: str) -> None:
    @task
    def first(x: int, *rest: int, **options: int) -> int:
        return x

    @task
    def second(y: int, z: int) -> int:
        return y + z

    @flow
    def pipeline() -> tuple:
        a = first.submit(1)
        return a.state if a.wait() is None else None, second(a, 2, return_state=True)

    a, b = pipeline()
    client = get_client(sync_client=True)
    assert client.read_task_run(a.state_details.task_run_id).task_inputs == {
        "x": [],
        "rest": [],
        "options": [],
    }
    inputs = client.read_task_run(b.state_details.task_run_id).task_inputs
    assert inputs["z"] == [] and [r.id for r in inputs["y"]] == [a.state_details.task_run_id]


def test_retry_without_delay_and_the_attempts_start_time(orch_env: str) -> None:
    seen: list[tuple] = []

    def note_attempt() -> int:
        ctx = TaskRunContext.get()
        seen.append((ctx.task_run.state_name, ctx.task_run.run_count, ctx.start_time))
        return len(seen)

    @task(retries=2)
    def third_time_lucky() -> str:
        assert note_attempt() >= 3, "not yet"
        return "ok"

    state = flow(lambda: third_time_lucky(return_state=True))()
    names = [
        s.name for s in get_client(sync_client=True).read_task_run_states(state.state_details.task_run_id)
    ]
    assert names == ["Pending", "Running", "Retrying", "Retrying", "Completed"]
    assert [(n, c) for n, c, _ in seen] == [("Running", 1), ("Retrying", 2), ("Retrying", 3)]
    assert seen[0][2] < seen[1][2] < seen[2][2]


def test_a_run_name_that_is_no_string_or_callable_is_refused() -> None:
    with pytest.raises(TypeError, match="Expected string or callable for 'task_run_name'; got int"):
        task(task_run_name=5)(lambda: None)


def test_state_data_given_as_a_value_is_the_result() -> None:
    state = State("COMPLETED", data=[1, 2])
    assert state.result() == [1, 2] and state.data.result == [1, 2]  # held in a ResultRecord
    assert state.to_dict()["data"] is None  # held in memory only: never recorded as a reference
    assert State("COMPLETED", data={"storage_key": "x"}).data == {"storage_key": "x"}


def test_an_unfinished_future_dropped_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="jupyter_orch.futures"):
        PrefectConcurrentFuture(uuid.uuid4(), concurrent.futures.Future())
        gc.collect()
        done: concurrent.futures.Future = concurrent.futures.Future()
        done.set_result(State("COMPLETED"))
        PrefectConcurrentFuture(uuid.uuid4(), done)
        gc.collect()
    assert caplog.text.count("A future was garbage collected before it resolved") == 1


def test_a_distributed_future_of_an_unpersisted_result_says_it_is_missing(orch_env: str) -> None:
    @task(persist_result=False)
    def answer() -> int:
        return 42

    run = asyncio.run(answer.create_run())
    assert PrefectDistributedFuture(run.id).state.is_pending()
    run_task_sync(answer, task_run_id=run.id)
    with pytest.raises(MissingResult):
        PrefectDistributedFuture(run.id).result(timeout=10)


def test_local_file_system_takes_a_path_and_is_awaited_in_async_code(orch_env: str, tmp_path: Path) -> None:
    block = LocalFileSystem(basepath=tmp_path)
    assert block.basepath == str(tmp_path)
    assert block.save("here", _sync=True)

    async def save() -> str:
        return await LocalFileSystem(basepath=tmp_path / "b").save("there")

    assert asyncio.run(save())


def test_task_key_is_the_functions_name_and_a_digest_of_where_it_lives() -> None:
    def make() -> object:
        @task
        def load() -> None: ...

        return load

    assert make().task_key.startswith("load-") and make().task_key == make().task_key
    assert task(lambda: None).task_key != make().task_key


def test_cache_options_that_lose_say_so(caplog: pytest.LogCaptureFixture) -> None:
    from jupyter_orch.cache_policies import INPUTS, NONE

    with caplog.at_level(logging.WARNING, logger="jupyter_orch.tasks"):
        both = task(cache_key_fn=lambda *_: "k", cache_policy=INPUTS)(lambda: None)
        unpersisted = task(persist_result=False, cache_policy=INPUTS)(lambda: None)
        quiet = task(persist_result=False)(lambda: None)
    assert "`cache_key_fn` will be used" in caplog.text
    assert caplog.text.count("Ignoring `cache_policy` because `persist_result` is False") == 1
    assert unpersisted.cache_policy is NONE and quiet.cache_policy is NONE
    assert both.cache_policy.compute_key(None, {}, {}) == "k"


def test_a_future_takes_the_attributes_users_give_it() -> None:
    done: concurrent.futures.Future = concurrent.futures.Future()
    done.set_result(State("COMPLETED", data=3))
    future = PrefectConcurrentFuture(uuid.uuid4(), done)
    future.parameters = {"x": 1}
    assert future.parameters == {"x": 1} and future.result() == 3


def test_a_returned_future_may_still_submit_runs_when_the_flow_body_ends(orch_env: str) -> None:
    @task
    def countdown(n: int) -> int:
        return n if n == 0 else countdown.submit(n - 1).result()

    @flow
    def pipeline() -> object:
        return countdown.submit(3)

    assert pipeline().result() == 0


def test_background_runs_keep_what_they_were_scheduled_with(orch_env: str) -> None:
    from jupyter_orch.client.schemas.objects import TaskRunResult
    from jupyter_orch.exceptions import ParameterBindError
    from jupyter_orch.results import ResultStore

    @task
    def add(x: int, y: int = 42) -> int:
        return x + y

    upstream = PrefectDistributedFuture(uuid.uuid4())
    future = add.apply_async((1,), wait_for=[upstream])
    saved = asyncio.run(ResultStore().read_parameters(future.state.state_details.task_parameters_id))
    assert saved["parameters"] == {"x": 1, "y": 42} and saved["wait_for"] == [upstream] and "context" in saved
    saved = asyncio.run(ResultStore().read_parameters(add.delay(2, y=3).task_run_id))
    assert saved["parameters"] == {"x": 2, "y": 3} and "wait_for" not in saved
    with pytest.raises(ParameterBindError, match="multiple values for argument 'x'"):
        add.delay(1, x=1)
    ref = TaskRunResult(id=uuid.uuid4())
    run = get_client(sync_client=True).read_task_run(
        add.apply_async((1, 2), dependencies={"x": {ref}}).task_run_id
    )
    assert run.task_inputs == {"x": [ref], "y": []}


def test_options_prefect_refuses_when_a_task_is_made() -> None:
    with pytest.raises(ValueError, match="Can not configure more"):
        task(retries=42, retry_delay_seconds=list(range(51)))(lambda: None)
    with pytest.raises(ValueError, match="`retry_jitter_factor` must be >= 0"):
        task(retries=1, retry_jitter_factor=-1)(lambda: None)
    with pytest.raises(TypeError):
        task(retry_condition_fn="no")(lambda: None)
    with pytest.raises(TypeError, match=r"@task\(on_completion=\[hook1, hook2\]\)\ndef my_task"):
        task(on_completion=lambda *a: None)(lambda: None)


def test_commit_and_rollback_hooks_of_a_task(orch_env: str) -> None:
    from jupyter_orch.transactions import Transaction, transaction

    seen: list[str] = []

    @task
    def load() -> int:
        return 1

    @load.on_commit
    def committed(txn: Transaction) -> None:
        seen.append(f"commit {isinstance(txn, Transaction)}")

    @load.on_rollback
    def undone(txn: Transaction) -> None:
        seen.append("rollback")

    assert load() == 1 and seen == ["commit True"]
    seen.clear()
    with pytest.raises(RuntimeError), transaction():
        load()
        raise RuntimeError("later step failed")
    assert seen == ["rollback"]


def test_task_input_hash_keeps_tasks_of_the_same_code_apart(orch_env: str) -> None:
    from jupyter_orch.blocks.core import Block
    from jupyter_orch.tasks import task_input_hash

    class Point(Block):
        x: int

    def make() -> object:
        @task(cache_key_fn=task_input_hash)
        def same(p: Point) -> int:
            return p.x

        return same

    first, second = make(), make()
    second.task_key = "elsewhere-0000"  # the same code, another task

    @flow
    def pipeline() -> list:
        return [first(Point(x=1), return_state=True), second(Point(x=1), return_state=True)]

    assert [s.name for s in pipeline()] == ["Completed", "Completed"]
    assert [s.name for s in pipeline()] == ["Cached", "Cached"]
    first.fn = lambda p: p.x + 1  # new code: a new key
    assert [s.name for s in pipeline()][0] == "Completed"


def test_a_result_that_cannot_be_serialized_is_kept_in_memory(orch_env: str) -> None:
    @task(result_serializer="json")
    def make_function() -> object:
        return len

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    run_logs = logging.getLogger("jupyter_orch.task_runs")
    run_logs.addHandler(handler)
    try:
        assert make_function() is len
    finally:
        run_logs.removeHandler(handler)
    record = next(r for r in records if "Encountered an error while serializing result" in r.getMessage())
    assert record.levelname == "WARNING"


def test_a_result_storage_key_is_the_cache_key_without_a_policy(orch_env: str) -> None:
    from jupyter_orch.cache_policies import DEFAULT

    @task(result_storage_key="the-answer", persist_result=True)
    def answer(x: int) -> int:
        return x

    assert answer.cache_policy is None and task(persist_result=True)(lambda: 1).cache_policy is DEFAULT

    @flow
    def twice() -> list:
        return [answer(1, return_state=True), answer(1, return_state=True)]

    assert [s.name for s in twice()] == ["Completed", "Cached"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_run_waiting_for_itself_fails_instead_of_deadlocking(orch_env: str, kind: str) -> None:
    """Prefect keeps the `wait_for` list it was given: one that later holds the run's own future
    makes the run fail with Prefect's 'deadlock' error rather than wait forever."""
    import threading

    @task
    def gate(opened: threading.Event) -> None:
        assert opened.wait(60)

    def hello(name: str) -> str:
        return f"Hello {name}!"

    async def hello_async(name: str) -> str:
        return hello(name)

    say = task(hello if kind == "sync" else hello_async)

    @flow
    def chain() -> list:
        opened = threading.Event()
        queue: list = [gate.submit(opened)]
        queue.append(say.submit("second", wait_for=queue))  # the same list, now holding itself
        opened.set()  # the second run reads past the gate only now: its own future is in the list
        return [f.result(timeout=60) for f in queue]

    with pytest.raises(ValueError, match="depending on itself. Raising to avoid a deadlock"):
        chain()
