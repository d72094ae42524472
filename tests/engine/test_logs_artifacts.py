"""Run loggers, captured prints and artifacts end up with the right runs."""

from __future__ import annotations

import json
import logging

import pytest

from jupyter_orch import create_markdown_artifact, create_table_artifact, flow, get_run_logger, task


def test_run_logger_and_log_prints(records, capsys):
    @task
    def noisy(x):
        get_run_logger().warning("task says %s", x)
        print("task print is captured too")  # inherited from the flow's log_prints
        return x

    @task(log_prints=False)
    def quiet():
        print("not recorded")

    @flow(log_prints=True)
    def logged():
        get_run_logger().info("flow says hi")
        print("flow print", 42)
        noisy(1)
        quiet()

    logged()
    out = capsys.readouterr()
    assert "flow print 42" in out.out and "not recorded" in out.out  # still printed
    assert "flow says hi" in out.err  # run logs also go to stderr
    run = records.only_flow_run("logged")
    logs = records.logs(flow_run_id=run["id"])
    by_msg = {log["message"]: log for log in logs}
    assert by_msg["flow says hi"]["task_run_id"] is None and by_msg["flow says hi"]["level"] == logging.INFO
    assert by_msg["flow print 42"]["task_run_id"] is None
    noisy_id = next(t["id"] for t in records.task_runs(run["id"]) if t["name"] == "noisy-0")
    assert (
        by_msg["task says 1"]["task_run_id"] == noisy_id and by_msg["task says 1"]["level"] == logging.WARNING
    )
    assert by_msg["task print is captured too"]["task_run_id"] == noisy_id
    assert "not recorded" not in by_msg


def test_get_run_logger_outside_a_run():
    from jupyter_orch.engine.exceptions import MissingContextError

    with pytest.raises(MissingContextError):
        get_run_logger()


def test_artifacts(records):
    @task
    def report():
        create_table_artifact([{"a": 1, "b": 2}, {"a": 3, "b": 4}], key="numbers", description="rows")

    @flow
    def artful():
        create_markdown_artifact("# Done\n*ok*", key="summary")
        create_table_artifact({"col": [1, 2]})
        report()

    artful()
    run = records.only_flow_run("artful")
    arts = {(a["type"], a["key"]): a for a in records.artifacts(run["id"])}
    assert arts[("markdown", "summary")]["data"] == "# Done\n*ok*"
    assert arts[("markdown", "summary")]["task_run_id"] is None
    assert json.loads(arts[("table", None)]["data"]) == {"col": [1, 2]}  # JSON text, as Prefect keeps it
    numbers = arts[("table", "numbers")]
    assert json.loads(numbers["data"]) == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert numbers["description"] == "rows"
    assert numbers["task_run_id"] == records.task_runs(run["id"])[0]["id"]
    with pytest.raises(TypeError):
        create_table_artifact("not a table")
