"""How the engine honours the orchestrator's decisions, adopts runs created elsewhere, and
records crashes (in-process BaseExceptions, and a process that dies)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_orch import FlowRunAborted, flow, task
from jupyter_orch.db.session import session_scope
from jupyter_orch.exceptions import CrashedRun
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.states import Crashed, Pending, Running, Scheduled, utcnow

REPO = Path(__file__).resolve().parents[2]


def _create_run(url: str, state, name="adoptable") -> str:
    with session_scope(url) as s:
        return flow_runs.create_flow_run(s, flow_name=name, state=state).id


def test_adopts_run_from_environment(records, monkeypatch):
    run_id = _create_run(records.url, Pending())
    monkeypatch.setenv("JUPYTER_ORCH_FLOW_RUN_ID", run_id)

    @flow(name="adoptable")
    def adoptable():
        return "adopted"

    assert adoptable() == "adopted"
    runs = records.flow_runs(flow_name="adoptable")
    assert [r["id"] for r in runs] == [run_id] and runs[0]["state_type"] == "COMPLETED"
    adoptable()  # the id is used once: a second call is a new run
    assert len(records.flow_runs(flow_name="adoptable")) == 2


def test_waits_for_a_scheduled_run_then_starts(records, monkeypatch):
    when = utcnow() + timedelta(seconds=0.4)
    run_id = _create_run(records.url, Scheduled(when))
    monkeypatch.setenv("JUPYTER_ORCH_FLOW_RUN_ID", run_id)

    @flow(name="adoptable")
    def adoptable():
        return utcnow()

    # told to WAIT, slept, asked again: the body never starts before its scheduled time (a bound
    # on the wait itself failed under a CPU hog, which spent the 0.4 s before the call)
    assert adoptable() >= when
    names = [s["name"] for s in records.flow_run_states(run_id)]
    assert names == ["Scheduled", "Pending", "Running", "Completed"]


def test_abort_when_run_is_already_running_elsewhere(records, monkeypatch):
    run_id = _create_run(records.url, Pending())
    with session_scope(records.url) as s:
        flow_runs.set_flow_run_state(s, run_id, Running())
    monkeypatch.setenv("JUPYTER_ORCH_FLOW_RUN_ID", run_id)
    ran = []

    @flow(name="adoptable")
    def adoptable():
        ran.append(1)

    with pytest.raises(FlowRunAborted):
        adoptable()
    assert ran == [] and records.flow_run(run_id)["state_type"] == "RUNNING"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_marks_crashed(records, interrupt):
    @task
    def interrupted():
        raise interrupt

    @flow
    def crashing():
        interrupted()

    with pytest.raises(interrupt):
        crashing()
    run = records.only_flow_run("crashing")
    assert run["state_type"] == "CRASHED"
    (tr,) = records.task_runs(run["id"])
    assert tr["state_type"] == "CRASHED"
    # worded as Prefect's: an interrupt (or a system exit) aborted the execution; the state's
    # result raises CrashedRun
    cause = "an interrupt signal" if interrupt is KeyboardInterrupt else "Python system exit call"
    for crashed in (run, tr):
        assert crashed["state_message"] == f"Execution was aborted by {cause}."
    with pytest.raises(CrashedRun, match="Execution was aborted"):
        Crashed(message=run["state_message"]).result()


def test_killed_process_is_not_recorded_completed(records, tmp_path):
    script = tmp_path / "dies.py"
    script.write_text(
        textwrap.dedent(
            """
            import os
            from jupyter_orch import flow, task

            @task
            def before():
                return 1

            @flow
            def dies_midway():
                before()
                os._exit(1)

            dies_midway()
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, timeout=60)
    assert proc.returncode == 1, proc.stderr.decode()
    run = records.only_flow_run("dies-midway")
    assert run["state_type"] == "RUNNING"  # not COMPLETED: the heartbeat service will mark it CRASHED
    assert run["end_time"] is None
