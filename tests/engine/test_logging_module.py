"""`jupyter_orch.logging` (Prefect's `prefect.logging`): run loggers from a hook's run description,
plain loggers, and `disable_run_logger()` for calling a task's `.fn` outside a run."""

from __future__ import annotations

import pytest

from jupyter_orch import flow, get_run_logger, task
from jupyter_orch.exceptions import MissingContextError
from jupyter_orch.logging import disable_run_logger, get_logger
from jupyter_orch.logging.loggers import flow_run_logger, task_run_logger


def test_disable_run_logger_lets_fn_run_outside_a_run():
    @task
    def logs() -> int:
        get_run_logger().info("quiet")
        return 42

    with pytest.raises(MissingContextError):
        logs.fn()
    with disable_run_logger():
        assert logs.fn() == 42
    with pytest.raises(MissingContextError):
        get_run_logger()


def test_get_logger_is_under_the_package():
    assert get_logger().name == "jupyter_orch"
    assert get_logger("engine").name == "jupyter_orch.engine"


def test_hook_loggers_store_records_with_the_run(records, orch_env):
    def on_done(flow, flow_run, state):
        flow_run_logger(flow_run, flow).info("flow hook says hi")

    def on_task_done(task, task_run, state):
        task_run_logger(task_run, task).info("task hook says hi")

    @task(on_completion=[on_task_done])
    def work() -> None:
        pass

    @flow(on_completion=[on_done])
    def logged():
        work()

    logged()
    from jupyter_orch.client import get_client

    get_client().flush()
    run = records.only_flow_run("logged")
    messages = [entry["message"] for entry in records.logs(flow_run_id=run["id"])]
    assert "flow hook says hi" in messages and "task hook says hi" in messages
    (tr,) = records.task_runs(flow_run_id=run["id"])
    assert "task hook says hi" in [entry["message"] for entry in records.logs(task_run_id=tr["id"])]


def test_records_marked_send_to_api_false_are_not_stored(records):
    from jupyter_orch import flow, get_run_logger

    @flow
    def quiet() -> None:
        logger = get_run_logger()
        logger.info("kept")
        logger.info("local only", extra={"send_to_api": False})

    quiet()
    messages = [log["message"] for log in records.logs(records.only_flow_run("quiet")["id"])]
    assert "kept" in messages and "local only" not in messages
