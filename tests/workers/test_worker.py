"""Workers end to end on real databases and processes: runs, cancel, kill -9 → crash → retry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from jupyter_orch.client import local_client
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import flow_runs, logs
from jupyter_orch.runner import run_deployment, to_deployment
from jupyter_orch.services.crash_detection import CrashDetectionService
from jupyter_orch.states import Cancelling
from jupyter_orch.workers.worker import Worker

FLOWS = textwrap.dedent(
    """
    import os, pathlib, time

    def greet(name="world"):
        print(f"hello {name}")

    def sleepy(marker):
        p = pathlib.Path(marker)
        first = not p.exists()
        p.write_text(str(os.getpid()))
        if first:
            time.sleep(60)
        print("second attempt done")
    """
)


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    (tmp_path / "flows.py").write_text(FLOWS)
    return tmp_path


def _deploy(url: str, path: Path, fn: str, **kw) -> str:
    with session_scope(url) as s:
        return deps.upsert_deployment(
            s, flow_name=fn, name="d", entrypoint=f"flows.py:{fn}", path=str(path), **kw
        ).id


def _state(url: str, run_id: str) -> tuple[str, str, int]:
    with session_scope(url) as s:
        run = flow_runs.read_flow_run(s, run_id)
        return run.state_type, run.state_name, run.run_count


def _wait(pred, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_ad_hoc_run_with_parameters_completes_and_streams_logs(
    orch_env: str, flows_dir: Path, worker
) -> None:
    _deploy(orch_env, flows_dir, "greet")
    run = run_deployment("greet/d", parameters={"name": "orch"}, timeout=30)
    assert run.state.is_completed() and run.parameters == {"name": "orch"}
    _wait(lambda: any("hello orch" in r.message for r in _logs(orch_env, run.id)))


def _logs(url: str, run_id: str):
    with session_scope(url) as s:
        return logs.list_logs(s, flow_run_id=run_id)


def test_engine_flow_deployment_is_adopted(orch_env: str, tmp_path: Path, worker) -> None:
    (tmp_path / "eflow.py").write_text(
        "from jupyter_orch import flow, task\n@task\ndef double(x):\n    return 2 * x\n"
        "@flow(name='engine-flow')\ndef eflow(x: int = 1):\n    return double(x)\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import eflow  # noqa: F401

        to_deployment(eflow.eflow, "d").apply()
    finally:
        sys.path.remove(str(tmp_path))
    run = run_deployment("engine-flow/d", parameters={"x": "4"}, timeout=30)
    assert run.state.is_completed(), run.state
    assert run.parameters == {"x": 4}


def test_cancel_kills_the_running_process(orch_env: str, flows_dir: Path, worker) -> None:
    dep_id = _deploy(orch_env, flows_dir, "sleepy", parameters={"marker": str(flows_dir / "m")})
    with session_scope(orch_env) as s:
        run_id = deps.create_flow_run_from_deployment(s, dep_id).id
    _wait(lambda: _state(orch_env, run_id)[0] == "RUNNING" and (flows_dir / "m").exists())
    pid = int((flows_dir / "m").read_text())
    with session_scope(orch_env) as s:
        flow_runs.set_flow_run_state(s, run_id, Cancelling())
    began = time.monotonic()
    _wait(lambda: _state(orch_env, run_id)[0] == "CANCELLED", timeout=10)
    assert time.monotonic() - began < 6
    _wait(lambda: not _alive(pid), timeout=5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_kill_9_worker_crashes_run_then_retries(orch_env: str, flows_dir: Path) -> None:
    dep_id = _deploy(
        orch_env,
        flows_dir,
        "sleepy",
        parameters={"marker": str(flows_dir / "m")},
        empirical_policy={"retries": 1},
    )
    with session_scope(orch_env) as s:
        run_id = deps.create_flow_run_from_deployment(s, dep_id).id
    code = (
        "from jupyter_orch.workers.worker import Worker; "
        "Worker(poll_interval=0.1, heartbeat_interval=0.3).run()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ))
    try:
        _wait(lambda: _state(orch_env, run_id)[0] == "RUNNING" and (flows_dir / "m").exists(), timeout=120)
        child = int((flows_dir / "m").read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _wait(lambda: not _alive(child), timeout=5)  # the run's process dies with its worker
        crash = CrashDetectionService(orch_env, heartbeat_timeout=2.0)
        began = time.monotonic()
        _wait(lambda: crash.run_once() > 0, timeout=10)
        assert time.monotonic() - began < 4
        state_type, state_name, _ = _state(orch_env, run_id)
        assert (state_type, state_name) == ("SCHEDULED", "AwaitingRetry")  # crashed, retry 1 of 1
    finally:
        if proc.poll() is None:
            proc.kill()
    w = Worker(client=local_client(orch_env), poll_interval=0.1, heartbeat_interval=0.3, shutdown_grace=1)
    stop = threading.Event()
    t = threading.Thread(target=w.run, args=(stop,), daemon=True)
    t.start()
    try:
        _wait(lambda: _state(orch_env, run_id)[0] == "COMPLETED", timeout=30)
        assert _state(orch_env, run_id)[2] == 2
    finally:
        stop.set()
        t.join(15)


def test_claim_respects_pool_limit_and_queue_priority(db_url: str, tmp_path: Path) -> None:
    from jupyter_orch.orchestration.store import work_pools, workers

    with session_scope(db_url) as s:
        work_pools.create_work_pool(s, "p", concurrency_limit=2)
        work_pools.create_queue(s, "p", "urgent", priority=1)
        work_pools.update_queue(s, "p", "default", priority=5)
        slow = deps.upsert_deployment(s, flow_name="f", name="slow", entrypoint="x.py:f", work_pool_name="p")
        fast = deps.upsert_deployment(
            s, flow_name="f", name="fast", entrypoint="x.py:f", work_pool_name="p", work_queue_name="urgent"
        )
        for _ in range(2):
            deps.create_flow_run_from_deployment(s, slow.id)
        urgent = deps.create_flow_run_from_deployment(s, fast.id)
    with session_scope(db_url) as s:
        claimed = workers.get_scheduled_flow_runs(s, "p", "w1", limit=10)
        assert len(claimed) == 2 and claimed[0].id == urgent.id
        assert all(r.state_type == "PENDING" for r in claimed)
    with session_scope(db_url) as s:
        assert workers.get_scheduled_flow_runs(s, "p", "w2", limit=10) == []  # pool limit reached


def test_closing_the_fork_server_ends_it_without_a_kill() -> None:
    """The zygote sees its socket's end and exits by itself: a worker's shutdown waits for nothing
    (closing alone left the socket open under the reader thread; the zygote was killed 5 s later)."""
    from jupyter_orch.workers.forkserver import ForkServer

    server = ForkServer(dict(os.environ))
    assert server.wait_ready(60)
    server.close()
    assert server.proc.returncode is not None and server.proc.returncode >= 0  # not SIGKILLed


def test_fork_server_serves_on_a_descriptor_past_1023() -> None:
    """A worker in a process with many files open hands the zygote a socket numbered past 1023,
    which select() refuses ('filedescriptor out of range', the zygote died after 'ready')."""
    import resource

    from jupyter_orch.workers.forkserver import ForkServer

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:
        if hard != resource.RLIM_INFINITY and hard < 2048:
            pytest.skip("the hard limit on open files is under 2048")
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        server = ForkServer(dict(os.environ))
        assert server.sock.fileno() > 1023
        assert server.wait_ready(60)
        server.close()
        assert server.proc.returncode == 0  # served until its socket closed, no ValueError
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
