"""Run loggers have Prefect's names (`jupyter_orch.flow_runs` / `jupyter_orch.task_runs` for
`prefect.flow_runs` / `prefect.task_runs`) and propagate to the root logger, so pytest's `caplog`
and the application's own handlers see run records, while each line reaches the terminal once."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

from jupyter_orch import flow, task
from jupyter_orch.client import get_client
from jupyter_orch.logging import get_run_logger

REPO = Path(__file__).resolve().parents[2]


def test_run_records_reach_caplog_under_prefects_names(records, caplog):
    caplog.set_level(logging.INFO)

    @flow(flow_run_name="the-flow")
    def loud():
        get_run_logger().info("from the flow")
        noisy.submit().wait()

    @task(task_run_name="the-task")
    def noisy():
        get_run_logger().warning("from the task")

    loud()
    by_message = {r.getMessage(): r for r in caplog.records}
    task_record, flow_record = by_message["from the task"], by_message["from the flow"]
    assert (task_record.name, task_record.task_run_name) == ("jupyter_orch.task_runs", "the-task")
    assert (flow_record.name, flow_record.flow_run_name) == ("jupyter_orch.flow_runs", "the-flow")
    get_client().flush()
    [run] = records.flow_runs(flow_name="loud")
    stored = {log["message"]: log["name"] for log in records.logs(flow_run_id=run["id"])}
    assert stored["from the task"] == "jupyter_orch.task_runs"
    assert stored["from the flow"] == "jupyter_orch.flow_runs"


def _run_script(body: str, tmp_path: Path) -> str:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    env = {"PYTHONPATH": str(REPO), "JUPYTER_ORCH_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


SCRIPT = """
    import logging, sys
    from jupyter_orch import flow, task
    from jupyter_orch.logging import get_run_logger

    @task
    def t():
        get_run_logger().info("line from the task")

    @flow
    def f():
        t()

    logging.basicConfig(level=logging.INFO, format="ROOT %(name)s %(message)s") if {configure} else None
    f()
"""


def test_a_run_line_reaches_the_terminal_once(tmp_path):
    plain = _run_script(SCRIPT.format(configure=False), tmp_path)
    assert plain.count("line from the task") == 1 and "Task run 't-0' - line from the task" in plain
    configured = _run_script(SCRIPT.format(configure=True), tmp_path)
    assert configured.count("line from the task") == 1
    assert "ROOT jupyter_orch.task_runs line from the task" in configured
