"""Run loggers shaped as Prefect 3's: `extra` holds exactly the run's id and name and its flow's
(and task's) name, "<unknown>" where not known; contexts made with `model_construct` (Prefect's
way to set up a run context without running anything) drive `get_run_logger` and `patch_print`;
`disable_run_logger()` answers the "null" logger; the client's `create_task_run`; and a failed
task whose results persist stores its exception for readers in other processes."""

from __future__ import annotations

import logging
import sys

import pytest

from jupyter_orch import flow, task
from jupyter_orch.client import get_client
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.context import FlowRunContext, TaskRunContext
from jupyter_orch.logging import disable_run_logger, get_logger, get_run_logger
from jupyter_orch.logging.configuration import DEFAULT_LOGGING_SETTINGS_PATH, load_logging_config
from jupyter_orch.logging.loggers import flow_run_logger, patch_print, task_run_logger


@task
def marker() -> None:
    return None


@flow(name="host-flow")
def host() -> None:
    return None


def test_loggers_in_runs_carry_prefects_extra_and_still_store_records(records, caplog):
    caplog.set_level(logging.INFO)

    @task(task_run_name="inner")
    def inner():
        logger = get_run_logger()
        logger.info("task line")
        return dict(logger.extra)

    @flow(flow_run_name="outer")
    def outer():
        logger = get_run_logger(foo="bar")
        logger.info("flow line")
        return dict(logger.extra), inner()

    flow_extra, task_extra = outer()
    [run] = records.flow_runs(flow_name="outer")
    assert flow_extra == {
        "flow_run_name": "outer",
        "flow_run_id": run["id"],
        "flow_name": "outer",
        "foo": "bar",
    }
    [task_row] = records.task_runs(flow_run_id=run["id"])
    assert task_extra == {
        "task_run_id": task_row["id"],
        "flow_run_id": run["id"],
        "task_run_name": "inner",
        "task_name": "inner",
        "flow_run_name": "outer",
        "flow_name": "outer",
    }
    get_client().flush()
    stored = {log["message"]: log for log in records.logs(flow_run_id=run["id"])}
    assert stored["task line"]["task_run_id"] == task_row["id"]
    assert stored["flow line"]["task_run_id"] is None
    assert "Task run 'inner' - task line" in caplog.text or "task line" in caplog.text


def test_loggers_from_run_descriptions_name_the_unknown(records):
    client = SyncPrefectClient()
    flow_run = client.create_flow_run(host)
    task_run = client.create_task_run(marker, flow_run.id, dynamic_key="0")
    assert task_run.flow_run_id == flow_run.id and task_run.state.is_pending()
    assert flow_run_logger(flow_run).extra == {
        "flow_run_name": flow_run.name,
        "flow_run_id": str(flow_run.id),
        "flow_name": "<unknown>",
    }
    assert task_run_logger(task_run).extra["flow_run_name"] == "<unknown>"
    with FlowRunContext.model_construct(flow_run=flow_run, flow=host):
        extra = task_run_logger(task_run, marker).extra
    assert (extra["flow_run_name"], extra["flow_name"], extra["task_name"]) == (
        flow_run.name,
        "host-flow",
        "marker",
    )
    with FlowRunContext.model_construct(flow_run=None, flow=None):
        assert get_run_logger().extra["flow_run_id"] == "<unknown>"
    with pytest.raises(TypeError, match="unexpected type 'str'"):
        get_run_logger("a string")


def test_log_lines_of_a_constructed_context_go_to_its_run(records, caplog, capsys):
    client = SyncPrefectClient()
    task_run = client.create_task_run(marker, client.create_flow_run(host).id, dynamic_key="0")
    caplog.set_level(logging.INFO)
    with patch_print(), TaskRunContext.model_construct(log_prints=True, task_run=task_run, task=marker):
        print("to the log", file=sys.stderr)
    assert "to the log" not in capsys.readouterr().out
    [record] = [r for r in caplog.records if r.getMessage() == "to the log"]
    assert (record.name, record.task_run_id, record.task_name) == (
        "jupyter_orch.task_runs",
        str(task_run.id),
        "marker",
    )
    get_client().flush()
    assert [log["message"] for log in records.logs(task_run_id=str(task_run.id))] == ["to the log"]


def test_disabled_run_logger_is_silent(records, caplog):
    @task
    def quiet():
        get_run_logger().critical("not a run log")
        return 1

    with disable_run_logger():
        assert quiet.fn() == 1 and quiet() == 1  # the body alone, and as a recorded run
        assert get_logger("jupyter_orch.flow_runs").disabled and get_logger("jupyter_orch.task_runs").disabled
    assert not get_logger("jupyter_orch.flow_runs").disabled
    assert "not a run log" not in caplog.text
    get_client().flush()
    assert not [log for log in records.logs() if log["message"] == "not a run log"]
    assert quiet() == 1 and "not a run log" in caplog.text  # after the block: as usual


def test_prefect_spelt_logging_overrides_reach_our_loggers(monkeypatch):
    monkeypatch.setenv("PREFECT_LOGGING_LOGGERS_PREFECT_EXTRA_LEVEL", "ERROR")
    assert (
        load_logging_config(DEFAULT_LOGGING_SETTINGS_PATH)["loggers"]["jupyter_orch.extra"]["level"]
        == "ERROR"
    )
    monkeypatch.setenv("PREFECT_LOGGING_LOGGERS_JUPYTER_ORCH_EXTRA_LEVEL", "DEBUG")  # ours wins
    assert (
        load_logging_config(DEFAULT_LOGGING_SETTINGS_PATH)["loggers"]["jupyter_orch.extra"]["level"]
        == "DEBUG"
    )


def test_a_persisted_failure_is_raised_again_from_the_record(records):
    @task(persist_result=True)
    def breaks():
        raise KeyError("original")

    @flow
    def runs_it():
        return breaks(return_state=True)

    state = runs_it(return_state=True).result(raise_on_failure=False)
    read_back = SyncPrefectClient().read_task_run(state.task_run_id).state  # as another process
    with pytest.raises(KeyError, match="original"):
        read_back.result()


def test_the_log_worker_ships_a_default_limit_of_records(records):
    from jupyter_orch.logging.handlers import APILogWorker
    from jupyter_orch.settings import PREFECT_API_DEFAULT_LIMIT

    run = SyncPrefectClient().create_flow_run(host)
    count = PREFECT_API_DEFAULT_LIMIT.value()
    worker = APILogWorker.instance()
    for i in range(count):
        worker.send(
            {"flow_run_id": str(run.id), "name": "x", "level": 20, "message": str(i), "timestamp": None}
        )
    worker.flush()
    logs = SyncPrefectClient().read_logs()
    assert count == 200 and len({log.message for log in logs}) == count


def test_outside_a_run_the_logger_may_fall_back(caplog):
    from jupyter_orch.exceptions import MissingContextError

    with pytest.raises(MissingContextError, match="on_missing_context"):
        get_run_logger()
    with caplog.at_level(logging.DEBUG, logger="jupyter_orch"):
        logger = get_run_logger(on_missing_context="warn", fallback_logger_name="my_app")
        quiet = get_run_logger(on_missing_context="ignore")
    assert (logger.name, quiet.name) == ("jupyter_orch.my_app", "jupyter_orch")
    assert [r.name for r in caplog.records if "No active flow or task run" in r.getMessage()] == [
        "jupyter_orch.my_app"
    ]
