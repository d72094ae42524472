"""Scheduling benchmarks, ours beside Prefect 3 where it applies.

    python benchmarks/scheduling.py [--runs 5] [--lateness-deployments 1000] [--deployments 10000]
                                    [--prefect /work/prefect-venv] [--minutes 2]

1. ad hoc run latency (trigger → Completed) of a trivial Python flow deployment: our worker
   beside Prefect 3's `flow.serve()` (its own `prefect server start`);
2. start lateness (start_time − expected_start_time) of 1,000 deployments on `* * * * *`, over
   `--minutes` minute boundaries, run by our scheduler service and worker;
3. scheduler pass time for 10,000 active deployments (first pass and a steady one).

Prints a markdown table. Throwaway SQLite databases under a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

FLOW = "def trivial():\n    return 1\n"


def _env(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'orch.db'}"
    os.environ.update(JUPYTER_ORCH_HOME=str(tmp), JUPYTER_ORCH_DATABASE_URL=url)
    return url


def seed(url: str, n: int, cron: str, path: Path) -> None:
    """`n` deployments of the trivial flow on `cron` (bulk Core inserts: setup is not measured)."""
    from sqlalchemy import insert

    from jupyter_orch.db.models import Deployment, DeploymentSchedule, new_id
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.orchestration.store import deployments as deps

    with session_scope(url) as s:
        first = deps.upsert_deployment(
            s, flow_name="bench", name="d0", entrypoint="flows.py:trivial", path=str(path)
        )
        rows = [
            {
                "id": new_id(),
                "name": f"d{i}",
                "flow_id": first.flow_id,
                "flow_name": "bench",
                "entrypoint": "flows.py:trivial",
                "path": str(path),
            }
            for i in range(1, n)
        ]
        s.execute(insert(Deployment), rows)
        ids = [first.id] + [r["id"] for r in rows]
        s.execute(
            insert(DeploymentSchedule),
            [{"id": new_id(), "deployment_id": i, "schedule": {"cron": cron, "timezone": None}} for i in ids],
        )


def _worker(url: str, **kw: Any) -> tuple[Any, threading.Event, threading.Thread]:
    from jupyter_orch.workers.db_transport import DBTransport
    from jupyter_orch.workers.worker import Worker

    worker = Worker(transport=DBTransport(url), heartbeat_interval=2.0, shutdown_grace=5, **kw)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    return worker, stop, thread


# -- 1. ad hoc latency -------------------------------------------------------------------------
def ours_adhoc(runs: int) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="orch-bench-adhoc-"))
    url = _env(tmp)
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.deployments import run_deployment
    from jupyter_orch.orchestration.store import deployments as deps

    (tmp / "flows.py").write_text(FLOW)
    with session_scope(url) as s:
        deps.upsert_deployment(s, flow_name="trivial", name="d", entrypoint="flows.py:trivial", path=str(tmp))
    _, stop, thread = _worker(url, poll_interval=0.05)
    latencies = []
    try:
        for _ in range(runs):
            began = time.perf_counter()
            run = run_deployment("trivial/d", timeout=60, poll_interval=0.02)
            assert run.state and run.state.is_completed(), run.state
            latencies.append(time.perf_counter() - began)
    finally:
        stop.set()
        thread.join(15)
    return latencies


def prefect_adhoc(venv: Path, runs: int) -> list[float]:
    """Prefect 3: `prefect server start` + `flow.serve()` (default polling), N runs via REST."""
    from jupyter_orch.server.process import free_port

    tmp = Path(tempfile.mkdtemp(prefix="prefect-bench-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    bin_ = venv / "bin"
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [str(bin_ / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    (tmp / "flow.py").write_text(
        "from prefect import flow\n\n@flow\ndef trivial():\n    return 1\n\n"
        "if __name__ == '__main__':\n    trivial.serve(name='bench')\n"
    )
    served = None
    try:
        _wait(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 180)
        served = subprocess.Popen(
            [str(bin_ / "python"), str(tmp / "flow.py")],
            env={**env, "PREFECT_API_URL": api},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait(lambda: httpx.get(f"{api}/deployments/name/trivial/bench", timeout=5).status_code == 200, 120)
        dep_id = httpx.get(f"{api}/deployments/name/trivial/bench").json()["id"]
        time.sleep(2)  # let serve() settle into its polling loop
        latencies = []
        with httpx.Client(timeout=30) as client:
            for _ in range(runs):
                began = time.perf_counter()
                run = client.post(f"{api}/deployments/{dep_id}/create_flow_run", json={}).json()
                while True:
                    state = client.get(f"{api}/flow_runs/{run['id']}").json()["state"]["type"]
                    if state == "COMPLETED":
                        break
                    if state in ("FAILED", "CRASHED", "CANCELLED"):
                        raise RuntimeError(f"Prefect run ended {state}")
                    time.sleep(0.05)
                latencies.append(time.perf_counter() - began)
        return latencies
    finally:
        for proc in (served, server):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        log.close()


def _wait(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("timed out waiting for Prefect")


# -- 2. start lateness ---------------------------------------------------------------------------
def lateness(n: int, minutes: int) -> tuple[list[float], int]:
    """Lateness of the runs due at the next `minutes` minute boundaries; (seconds, expected count)."""
    from sqlalchemy import select

    from jupyter_orch.db.models import FlowRun
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.services.scheduler import SchedulerService

    tmp = Path(tempfile.mkdtemp(prefix="orch-bench-late-"))
    url = _env(tmp)
    (tmp / "flows.py").write_text(FLOW)
    seed(url, n, "* * * * *", tmp)
    scheduler = SchedulerService(url, interval=5.0)
    scheduler.run_once()
    now = datetime.now(timezone.utc)
    first = now.replace(second=0, microsecond=0).timestamp() + 60
    boundaries = [datetime.fromtimestamp(first + 60 * k, timezone.utc) for k in range(minutes)]
    scheduler.launch()
    _, stop, thread = _worker(url, poll_interval=0.1)
    try:
        end = boundaries[-1].timestamp() + 50  # 50 s to start the last minute's runs
        while time.time() < end:
            time.sleep(1)
    finally:
        stop.set()
        scheduler.halt()
        thread.join(60)
    with session_scope(url) as s:
        rows = s.execute(
            select(FlowRun.expected_start_time, FlowRun.start_time).where(
                FlowRun.expected_start_time.in_(boundaries)
            )
        ).all()
    late = [(start - expected).total_seconds() for expected, start in rows if start is not None]
    return late, n * minutes


# -- 3. scheduler pass -------------------------------------------------------------------------
def scheduler_pass(n: int) -> tuple[float, int, float]:
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.orchestration.store.schedules import schedule_runs

    tmp = Path(tempfile.mkdtemp(prefix="orch-bench-pass-"))
    url = _env(tmp)
    seed(url, n, "0 * * * *", tmp)
    began = time.perf_counter()
    with session_scope(url) as s:
        created = schedule_runs(s)
    first = time.perf_counter() - began
    began = time.perf_counter()
    with session_scope(url) as s:
        schedule_runs(s)
    return first, created, time.perf_counter() - began


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--lateness-deployments", type=int, default=1000)
    ap.add_argument("--minutes", type=int, default=2)
    ap.add_argument("--deployments", type=int, default=10_000)
    ap.add_argument("--prefect", type=Path, default=Path("/work/prefect-venv"))
    args = ap.parse_args()

    rows: list[tuple[str, str, str, str]] = []
    ours = ours_adhoc(args.runs)
    try:
        theirs = prefect_adhoc(args.prefect, args.runs)
        prefect_cell = f"{statistics.median(theirs):.2f} s (max {max(theirs):.2f} s)"
    except Exception as exc:  # reported, not hidden
        prefect_cell = f"not measured: {type(exc).__name__}: {exc}"[:120]
    rows.append(
        (
            f"ad hoc run trigger→Completed, median of {args.runs}",
            f"{statistics.median(ours) * 1000:.0f} ms (max {max(ours) * 1000:.0f} ms)",
            prefect_cell + " (`serve`)",
            "< 1 s",
        )
    )
    late, expected = lateness(args.lateness_deployments, args.minutes)
    cell = (
        f"p50 {_pct(late, 0.5):.2f} s, p99 {_pct(late, 0.99):.2f} s ({len(late)}/{expected} started)"
        if late
        else f"no run started (0/{expected})"
    )
    rows.append(
        (f"start lateness, {args.lateness_deployments} deployments on `* * * * *`", cell, "–", "p99 < 1 s")
    )
    first, created, steady = scheduler_pass(args.deployments)
    rows.append(
        (f"scheduler first pass, {args.deployments} deployments ({created} runs)", f"{first:.2f} s", "–", "")
    )
    rows.append((f"scheduler steady pass, {args.deployments} deployments", f"{steady:.2f} s", "–", "< 1 s"))
    print(f"\nMeasured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores (SQLite).\n")
    print("| benchmark | jupyter-orch | Prefect 3.8.8 | target |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
