"""suspend_flow_run in a deployment run executed by a real worker, on SQLite and PostgreSQL: the
run shows Suspended and its process ends (the worker holds nothing), `jupyter orch flow-run
resume` schedules it again with its input, a worker re-runs it from the top and the suspend call
returns that input; a suspension never resumed is failed by the late-runs service."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.cli.app import Context, main
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.serialize import run_to_dict
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import flow_runs, logs
from jupyter_orch.services.late_runs import LateRunsService

FLOWS = textwrap.dedent(
    """
    from jupyter_orch import flow, suspend_flow_run

    @flow(name="needs-approval", log_prints=True)
    def needs_approval(timeout: int = 120):
        print("before the suspension")
        amount = suspend_flow_run(wait_for_input=int, timeout=timeout)
        print(f"approved amount {amount}")
        return amount
    """
)


def _deploy(url: str, path: Path) -> str:
    (path / "approval.py").write_text(FLOWS)
    with session_scope(url) as s:
        return deps.upsert_deployment(
            s, flow_name="needs-approval", name="d", entrypoint="approval.py:needs_approval", path=str(path)
        ).id


def _run(url: str, run_id: str) -> dict[str, Any]:
    with session_scope(url) as s:
        return run_to_dict(flow_runs.read_flow_run(s, run_id))


def _wait(pred: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_suspended_run_frees_its_process_and_reruns_with_its_input(
    orch_env: str, tmp_path: Path, worker, capsys: pytest.CaptureFixture[str]
) -> None:
    dep_id = _deploy(orch_env, tmp_path)
    with session_scope(orch_env) as s:
        run_id = deps.create_flow_run_from_deployment(s, dep_id).id
    _wait(lambda: _run(orch_env, run_id)["state_name"] == "Suspended")
    _wait(lambda: not worker.running)  # its process ended: the worker holds nothing for it
    bad = main(["flow-run", "resume", run_id, "--input", '{"value": "lots"}'], Context())
    assert bad != 0 and "run_input.value" in capsys.readouterr().err
    assert main(["flow-run", "resume", run_id, "--input", '{"value": 250}'], Context()) == 0
    assert "is now Resuming" in capsys.readouterr().out
    _wait(lambda: _run(orch_env, run_id)["state_type"] == "COMPLETED")
    with session_scope(orch_env) as s:
        names = [st.name for st in flow_runs.flow_run_states(s, run_id)]
        messages = [r.message for r in logs.list_logs(s, flow_run_id=run_id)]
    assert names.count("Running") == 2 and "Suspended" in names and "Resuming" in names
    assert names.index("Suspended") < names.index("Resuming") < len(names) - 1
    # ran twice from the top (two RUNNING above); the second run went on with the input. (The log
    # holds each line as the engine logged it and, best effort, as the worker captured its output.)
    assert "before the suspension" in messages and "approved amount 250" in messages


def test_a_suspension_never_resumed_is_failed(orch_env: str, tmp_path: Path, worker) -> None:
    dep_id = _deploy(orch_env, tmp_path)
    with session_scope(orch_env) as s:
        run_id = deps.create_flow_run_from_deployment(s, dep_id, parameters={"timeout": 1}).id
    _wait(lambda: _run(orch_env, run_id)["state_name"] == "Suspended")
    service = LateRunsService(orch_env)
    _wait(lambda: service.fail_expired_suspensions() or _run(orch_env, run_id)["state_type"] == "FAILED")
    run = _run(orch_env, run_id)
    assert run["state_type"] == "FAILED" and "suspended and never resumed" in run["state_message"]
