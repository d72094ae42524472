"""A flow's tasks on a real Dask cluster (`dask scheduler` + two `dask worker` processes), on
SQLite and PostgreSQL: kill -9 the worker running a task and Dask runs it again on the other; the
flow completes with every task run recorded once, Completed. Both as a first run of the function
(a Dask task of its own) and once the runner knows it is quick (a bundle of bodies, one Dask
task: run again whole)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_orch import flow, task
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import flow_runs, task_runs
from jupyter_orch.server.process import free_port
from jupyter_orch.task_runners import DaskTaskRunner

pytest.importorskip("distributed")


def _wait(pred, timeout: float = 60.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp_path}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), "--no-dashboard"], **quiet,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{i}",
            ],
            **quiet,
        )  # fmt: skip
        for i in range(2)
    ]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=60)
    try:
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            proc.kill()
            proc.wait(10)


@pytest.mark.parametrize("bundled", [False, True], ids=["alone", "bundled"])
def test_a_killed_dask_worker_s_task_is_run_again(
    orch_env: str, cluster, tmp_path: Path, bundled: bool
) -> None:
    address, workers = cluster
    marker = tmp_path / "slow-task-pid"
    attempts = tmp_path / "attempts"

    @task
    def square(x: int, marker: str, attempts: str) -> int:
        if x == 7:
            from distributed import get_worker

            with open(attempts, "a") as f:
                f.write(f"{os.getpid()} {get_worker().get_current_task()}\n")
            if not os.path.exists(marker):
                with open(marker, "w") as f:
                    f.write(str(os.getpid()))
                time.sleep(600)  # the test kills this worker now
        return x * x

    @flow(task_runner=DaskTaskRunner(address=address))
    def on_dask(n: int = 12) -> int:
        if bundled:  # its first runs: the runner learns the function is quick
            square.map(range(100, 104), marker=str(marker), attempts=str(attempts)).result()
        return sum(square.map(range(n), marker=str(marker), attempts=str(attempts)).result())

    runner: dict[str, object] = {}
    import threading

    thread = threading.Thread(target=lambda: runner.setdefault("value", on_dask()), daemon=True)
    thread.start()
    pid = int(_wait(lambda: marker.exists() and marker.read_text().strip()))
    assert pid in {w.pid for w in workers}
    os.kill(pid, signal.SIGKILL)
    thread.join(120)
    assert runner.get("value") == sum(x * x for x in range(12))
    tried = [line.split() for line in attempts.read_text().splitlines()]
    assert len(tried) == 2 and tried[0][0] != tried[1][0]  # again, on the other worker
    assert tried[0][1] == tried[1][1]  # the same Dask task
    if bundled:
        assert "-bundle-" in tried[0][1]
    with session_scope(orch_env) as s:
        (run,) = flow_runs.list_flow_runs(s, flow_name="on-dask")[0]
        tasks = task_runs.list_task_runs(s, flow_run_id=run.id, limit=100)[0]
        assert run.state_type == "COMPLETED"
        assert len(tasks) == 12 + 4 * bundled and {t.state_type for t in tasks} == {"COMPLETED"}
