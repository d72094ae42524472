"""Background tasks as Prefect has them: `task.delay(...)` / `.apply_async(...)` schedule a task run
that a task worker (`jupyter_orch.task_worker`) claims and runs; the future waits for it. Workers
run in a thread here and in real separate processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import time

import pytest
from bgworkers import run_with_two_worker_processes, worker_env

from jupyter_orch import allow_failure, flow, task
from jupyter_orch.futures import PrefectDistributedFuture, PrefectFutureList
from jupyter_orch.task_worker import TaskWorker

DEADLINE = 60


@task
def add(x: int, y: int = 0) -> int:
    return x + y


@task
def boom() -> None:
    raise ValueError("oops")


def test_delay_runs_on_a_worker_and_is_recorded(records):
    with TaskWorker(add, boom, limit=4):
        future = add.delay(1, y=2)
        assert isinstance(future, PrefectDistributedFuture)
        assert future.result(timeout=DEADLINE) == 3
        failing = boom.delay()
        failing.wait(DEADLINE)
        assert failing.state.is_failed()
        with pytest.raises(Exception, match="oops"):
            failing.result()
        assert isinstance(failing.result(raise_on_failure=False), Exception)
    run = records.task_run(future.task_run_id)
    assert run["flow_run_id"] is None and run["state_type"] == "COMPLETED" and run["run_count"] == 1
    history = [s["type"] for s in records.task_run_states(future.task_run_id)]
    assert history == ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"]
    assert records.task_run(failing.task_run_id)["state_type"] == "FAILED"


def test_apply_async_map_wait_for_and_chaining(records):
    with TaskWorker(add, boom):
        with pytest.raises(RuntimeError, match="deferred=True"):  # outside a flow: no task runner
            add.map([1, 2, 3], 10)
        mapped = add.map([1, 2, 3], 10, deferred=True)  # background runs
        assert isinstance(mapped, PrefectFutureList)
        assert mapped.result(timeout=DEADLINE) == [11, 12, 13]
        chained = add.apply_async((add.delay(1, 1),), {"y": 5})
        assert chained.result(timeout=DEADLINE) == 7
        failed = boom.delay()
        after = add.apply_async((1,), wait_for=[allow_failure(failed)])
        assert after.result(timeout=DEADLINE) == 1
        blocked = add.apply_async((1,), wait_for=[failed])
        # its upstream failed: it never runs and stays Pending, named NotReady (Prefect's)
        give_up = time.monotonic() + DEADLINE
        while blocked.state.name != "NotReady" and time.monotonic() < give_up:
            time.sleep(0.05)
        assert blocked.state.is_pending() and blocked.state.name == "NotReady"

    @flow
    def defers():
        return add.map([5, 6], deferred=True)

    with TaskWorker(add):
        # returned futures resolve to their runs' states (Prefect's rule): the flow's result
        assert [state.result() for state in defers()] == [5, 6]


def test_done_callback_and_unserved_runs_wait(records):
    @task
    def nobody_serves() -> int:
        return 1

    waiting = nobody_serves.delay()
    waiting.wait(timeout=0.3)
    assert waiting.state.is_scheduled()
    with pytest.raises(TimeoutError):
        waiting.result(timeout=0.2)
    seen = []
    with TaskWorker(add):
        future = add.delay(2, 2)
        future.add_done_callback(seen.append)
        future.wait(DEADLINE)
        deadline = time.monotonic() + DEADLINE
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
    assert seen == [future]
    assert records.task_run(waiting.task_run_id)["state_type"] == "SCHEDULED"  # never claimed


def test_a_background_run_says_where_to_watch_it_when_a_ui_url_is_set(records, caplog):
    from jupyter_orch.client import get_client
    from jupyter_orch.settings import PREFECT_UI_URL, temporary_settings

    caplog.set_level(logging.INFO)
    quiet = add.apply_async((1, 2))
    assert "View it in the UI" not in caplog.text
    with temporary_settings({PREFECT_UI_URL: "http://ui.test/api"}):
        future = add.apply_async((1, 2))
    assert f"View it in the UI at 'http://ui.test/api/runs/task-run/{future.task_run_id}'" in caplog.text
    get_client().flush()
    assert [log["message"] for log in records.logs(task_run_id=str(quiet.task_run_id))] == []
    logged = [log["message"] for log in records.logs(task_run_id=str(future.task_run_id))]
    assert len(logged) == 1 and "runs/task-run/" in logged[0]


def test_a_worker_refuses_bad_arguments():
    with pytest.raises(ValueError, match="at least one task"):
        TaskWorker()
    with pytest.raises(TypeError, match="@task"):
        TaskWorker(print)
    with pytest.raises(ValueError, match="limit"):
        TaskWorker(add, limit=0)


def test_worker_processes_share_the_work_each_run_once(records, orch_env, tmp_path):
    env = worker_env(tmp_path, {"JUPYTER_ORCH_DATABASE_URL": orch_env})
    results = run_with_two_worker_processes(tmp_path, env)
    assert sorted(i for i, _ in results) == list(range(12))
    assert os.getpid() not in {pid for _, pid in results}
    runs = [r for r in records.task_runs() if r["name"].startswith("where-")]
    assert len(runs) == 12 and all(r["state_type"] == "COMPLETED" and r["run_count"] == 1 for r in runs)


def test_prefect_task_runner_hands_a_flows_runs_to_workers(records):
    from jupyter_orch.task_runners import PrefectTaskRunner

    @flow(task_runner=PrefectTaskRunner())
    def handed_off():
        futures = add.map([1, 2], 1)
        return futures.result(timeout=DEADLINE), [f.task_run_id for f in futures]

    with TaskWorker(add):
        results, ids = handed_off()
        with PrefectTaskRunner() as runner:
            direct = runner.submit(add, {"x": 4})
            assert isinstance(direct, PrefectDistributedFuture) and direct.result(timeout=DEADLINE) == 4
    assert results == [2, 3]
    assert [records.task_run(i)["state_type"] for i in ids] == ["COMPLETED", "COMPLETED"]


def test_serve_is_awaitable_in_async_code(records):
    import asyncio

    from jupyter_orch.task_worker import serve

    async def main():
        future = add.delay(20, 22)
        await serve(add, timeout=3)
        return future.result(timeout=DEADLINE)

    assert asyncio.run(main()) == 42


def test_delay_keeps_the_tags_in_effect(records):
    from jupyter_orch import tags

    with tags("nightly"):
        future = add.delay(1, 1)
    with TaskWorker(add):
        assert future.result(timeout=DEADLINE) == 2
    assert records.task_run(future.task_run_id)["tags"] == ["nightly"]



SERVES_ITSELF = """
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)  # a shell's background job ignores it
from jupyter_orch import task

@task
def add(a: int, b: int) -> int:
    return a + b

add.delay(1, 2)
add.delay(42, 100)
add.serve()
"""


def test_a_task_serves_itself(records, tmp_path):
    """Prefect's docs' script: `add.delay(...)` twice, then `add.serve()` runs both (until
    interrupted); `task_worker.serve` refuses what is not a task."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import jupyter_orch
    from jupyter_orch.task_worker import serve

    script = tmp_path / "serves.py"
    script.write_text(SERVES_ITSELF)
    env = {**os.environ, "PYTHONPATH": str(Path(jupyter_orch.__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, str(script)], env=env)
    try:
        deadline = time.monotonic() + DEADLINE
        done: list = []
        while len(done) < 2 and time.monotonic() < deadline:
            done = [r for r in records.task_runs() if r["state_type"] == "COMPLETED"]
            time.sleep(0.2)
        assert sorted(records.task_run(r["id"])["name"].split("-")[0] for r in done) == ["add", "add"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    with pytest.raises(TypeError, match="@task functions"):
        serve(lambda: None)


def test_a_run_scheduled_in_a_flow_keeps_that_flow_runs_context(records):
    """Prefect's stored context of a deferred run names the flow run that scheduled it; the run
    still runs on a worker and its result comes back."""
    from jupyter_orch.context import FlowRunContext
    from jupyter_orch.engine.background import read_parameters

    @flow
    def schedules_some():
        futures = add.map([1, 2], deferred=True)
        return FlowRunContext.get().flow_run.id, [f.task_run_id for f in futures]  # ids: not awaited

    flow_run_id, ids = schedules_some()
    futures = [PrefectDistributedFuture(i) for i in ids]
    saved = read_parameters(futures[0].task_run_id)
    assert saved["parameters"] == {"x": 1, "y": 0}
    assert saved["context"]["flow_run_context"]["flow_run"]["id"] == flow_run_id
    assert "flow_run_context" not in read_parameters(add.delay(3).task_run_id)["context"]
    nothing_given = task(lambda: 1).apply_async(wait_for=[futures[0]])  # Prefect stores no empty parameters
    assert set(read_parameters(nothing_given.task_run_id)) == {"wait_for", "context"}
    with TaskWorker(add):
        assert [f.result(timeout=DEADLINE) for f in futures] == [1, 2]
