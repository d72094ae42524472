"""Hooks of deployment runs run in the worker's run process: on_completion after a normal end, and
on_cancellation / on_crashed when the worker kills the process (SIGTERM, turned into
TerminationSignal by the engine) — with a real worker and real run processes."""

from __future__ import annotations

import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

from jupyter_orch.client import local_client
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import flow_runs, logs
from jupyter_orch.runner import run_deployment, to_deployment
from jupyter_orch.states import Cancelling
from jupyter_orch.workers.worker import Worker

FLOW = textwrap.dedent(
    """
    import os, pathlib, time
    from jupyter_orch import flow

    OUT = pathlib.Path({out!r})

    def mark(label):
        def hook(flow, flow_run, state):
            (OUT / label).write_text(f"{{flow_run.id}} {{state.name}} {{os.getpid()}}")
        hook.__name__ = label
        return hook

    @flow(name={name!r}, on_completion=[mark("completed")], on_cancellation=[mark("cancelled")],
          on_crashed=[mark("crashed")], on_running=[mark("running")])
    def hooked(sleep: float = 0.0):
        (OUT / "pid").write_text(str(os.getpid()))
        time.sleep(sleep)
        return "done"
    """
)


def _deploy(tmp_path: Path, name: str) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    module = f"hooked_{uuid.uuid4().hex}"  # one module per test (sys.modules keeps imports)
    (tmp_path / f"{module}.py").write_text(FLOW.format(out=str(out), name=name))
    sys.path.insert(0, str(tmp_path))
    try:
        mod = __import__(module)
        to_deployment(mod.hooked, "d").apply()
    finally:
        sys.path.remove(str(tmp_path))
    return out


def _wait(pred, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _run(url: str, run_id: str) -> tuple[str, list[str]]:
    with session_scope(url) as s:
        state = flow_runs.read_flow_run(s, run_id).state_type
        return state, [r.message for r in logs.list_logs(s, flow_run_id=run_id, limit=500)]


def test_completion_hook_runs_in_the_run_process(orch_env: str, tmp_path: Path, worker) -> None:
    out = _deploy(tmp_path, "hooks-complete")
    run = run_deployment("hooks-complete/d", timeout=60)
    assert run.state.is_completed(), run.state
    pid = (out / "pid").read_text()
    assert (out / "completed").read_text() == f"{run.id} Completed {pid}"
    assert (out / "running").read_text().startswith(f"{run.id} Running")
    assert not (out / "crashed").exists() and not (out / "cancelled").exists()


def test_cancelling_a_deployment_run_runs_on_cancellation(orch_env: str, tmp_path: Path, worker) -> None:
    out = _deploy(tmp_path, "hooks-cancel")
    run = run_deployment("hooks-cancel/d", parameters={"sleep": 120}, timeout=0)
    _wait(lambda: (out / "pid").exists())
    with session_scope(orch_env) as s:
        flow_runs.set_flow_run_state(s, run.id, Cancelling())
    _wait(lambda: (out / "cancelled").exists())
    pid = (out / "pid").read_text()
    assert (out / "cancelled").read_text() == f"{run.id} Cancelled {pid}"
    _wait(lambda: _run(orch_env, run.id)[0] == "CANCELLED")
    done = "Hook 'cancelled' finished running successfully"
    _wait(lambda: any(done in m for m in _run(orch_env, run.id)[1]))
    assert not (out / "crashed").exists() and not (out / "completed").exists()


def test_worker_shutdown_kills_the_run_and_on_crashed_runs(orch_env: str, tmp_path: Path) -> None:
    out = _deploy(tmp_path, "hooks-crash")
    w = Worker(pool="default", client=local_client(orch_env), poll_interval=0.1, heartbeat_interval=0.3)
    stop = threading.Event()
    t = threading.Thread(target=w.run, args=(stop,), daemon=True)
    t.start()
    try:
        run = run_deployment("hooks-crash/d", parameters={"sleep": 120}, timeout=0)
        _wait(lambda: (out / "pid").exists())
    finally:
        w.shutdown_grace = 0.2  # stop now: the worker SIGTERMs the run's process group
        stop.set()
        t.join(30)
    _wait(lambda: (out / "crashed").exists(), timeout=10)
    assert (out / "crashed").read_text().startswith(f"{run.id} Crashed")
    assert _run(orch_env, run.id)[0] == "CRASHED"
    assert not (out / "cancelled").exists()
