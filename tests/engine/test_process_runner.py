"""`ProcessPoolTaskRunner` (task runs in child processes that record them through their own
client) and every task runner used on its own as a context manager, as Prefect's are."""

from __future__ import annotations

import os

import pytest

from jupyter_orch import flow, get_run_logger, task
from jupyter_orch.futures import PrefectFutureList
from jupyter_orch.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner


def test_runs_execute_in_child_processes_and_are_recorded(records):
    @task
    def square(x: int) -> tuple[int, int]:
        get_run_logger().info("squaring %d", x)
        return x * x, os.getpid()

    @task
    def total(pairs: list) -> int:
        return sum(value for value, _ in pairs)

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def crunch():
        squares = square.map([1, 2, 3])
        return total.submit(squares).result(), [pid for _, pid in squares.result()]

    result, pids = crunch()
    assert result == 14
    assert os.getpid() not in pids
    run = records.only_flow_run("crunch")
    assert run["state_type"] == "COMPLETED"
    trs = {t["name"]: t for t in records.task_runs(run["id"])}
    assert sorted(trs) == ["square-0", "square-1", "square-2", "total-0"]
    assert all(t["state_type"] == "COMPLETED" for t in trs.values())
    assert [s["type"] for s in records.task_run_states(trs["square-0"]["id"])] == [
        "PENDING",
        "RUNNING",
        "COMPLETED",
    ]
    messages = [log["message"] for log in records.logs(task_run_id=trs["square-1"]["id"])]
    assert "squaring 2" in messages
    upstream = {
        e["upstream_id"] for e in records.edges(run["id"]) if e["downstream_id"] == trs["total-0"]["id"]
    }
    assert upstream == {trs[f"square-{i}"]["id"] for i in range(3)}


def test_failures_and_retries_in_a_child(records):
    @task(retries=1)
    def flaky(marker: str) -> str:
        if not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("first attempt fails")
        return "second attempt"

    @task
    def broken() -> None:
        raise ValueError("always")

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def mixed(marker: str):
        retried = flaky.submit(marker)
        failed = broken.submit()
        return retried.result(), failed.result(raise_on_failure=False)

    marker = os.path.join(os.environ["JUPYTER_ORCH_HOME"], "marker")
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    retried, error = mixed(marker)
    assert retried == "second attempt"
    assert isinstance(error, ValueError) and str(error) == "always"
    run = records.only_flow_run("mixed")
    trs = {t["name"]: t for t in records.task_runs(run["id"])}
    assert trs["flaky-0"]["state_type"] == "COMPLETED" and trs["flaky-0"]["run_count"] == 2
    assert trs["broken-0"]["state_type"] == "FAILED"


def test_a_child_that_dies_leaves_its_run_crashed(records):
    @task
    def die() -> None:
        os._exit(3)

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def dying():
        future = die.submit()
        future.wait()
        return future.state.type.value

    assert dying() == "CRASHED"
    run = records.only_flow_run("dying")
    (tr,) = records.task_runs(run["id"])
    assert tr["state_type"] == "CRASHED"


@pytest.mark.parametrize("runner_class", [ThreadPoolTaskRunner, ProcessPoolTaskRunner])
def test_runners_are_context_managers_with_prefects_submit_and_map(records, runner_class):
    @task
    def add(x: int, y: int = 10) -> int:
        return x + y

    with runner_class(max_workers=2) as runner:
        assert isinstance(runner, TaskRunner)
        single = runner.submit(add, {"x": 1})
        mapped = runner.map(add, {"x": [1, 2], "y": 1})
        assert isinstance(mapped, PrefectFutureList)
        assert single.result() == 11 and mapped.result() == [2, 3]
    runs = records.task_runs()
    assert len(runs) == 3 and all(t["name"].startswith("add-") for t in runs)
    assert all(t["state_type"] == "COMPLETED" and t["flow_run_id"] is None for t in records.task_runs())


def test_process_pool_rejects_a_bad_size():
    with pytest.raises(ValueError, match="max_workers"):
        ProcessPoolTaskRunner(max_workers=0)


@pytest.mark.parametrize("runner_class", [ThreadPoolTaskRunner, ProcessPoolTaskRunner])
def test_runner_contract_as_prefects(orch_env, runner_class):
    import uuid
    from concurrent.futures import Future

    from jupyter_orch.futures import PrefectWrappedFuture

    @task
    def pair(a: int, b: int) -> tuple[int, int]:
        return a, b

    runner = runner_class(max_workers=2)
    assert runner.duplicate() == runner and runner.duplicate() is not runner
    assert runner != runner_class(max_workers=3)
    with pytest.raises(RuntimeError, match="Task runner is not started"):
        runner.submit(pair, {"a": 1, "b": 2})
    with runner:
        assert runner._executor._max_workers == 2
        future = runner.submit(pair, {"a": 1, "b": 2})
        assert isinstance(future.task_run_id, uuid.UUID) and isinstance(future.wrapped_future, Future)
        assert future.result() == (1, 2)
    assert PrefectWrappedFuture[int, Future] is not None  # generic over result and wrapped types


def test_tags_travel_to_the_child_process(records):
    from jupyter_orch import tags
    from jupyter_orch.engine.context import TagsContext

    @task(tags=["own"])
    def current_tags() -> list[str]:
        return sorted(TagsContext.get().current_tags)

    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def tagged():
        with tags("outer"):
            return current_tags.submit().result()

    assert tagged() == ["outer"]
    run = records.only_flow_run("tagged")
    (tr,) = records.task_runs(run["id"])
    assert sorted(tr["tags"]) == ["outer", "own"]
