"""Scheduling benchmarks: ad hoc run latency with our worker, and scheduler pass time.

    python benchmarks/scheduling.py [--runs 10] [--deployments 10000]

Prints a table. Uses a throwaway SQLite database under a temporary directory.
(Prefect `serve` comparison and 1,000-deployment start lateness: not yet automated here.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--deployments", type=int, default=10_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="orch-bench-"))
    url = f"sqlite:///{tmp / 'orch.db'}"
    os.environ.update(JUPYTER_ORCH_HOME=str(tmp), JUPYTER_ORCH_DATABASE_URL=url)
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.deployments import run_deployment
    from jupyter_orch.orchestration.store import deployments as deps
    from jupyter_orch.orchestration.store.schedules import schedule_runs
    from jupyter_orch.workers.db_transport import DBTransport
    from jupyter_orch.workers.worker import Worker

    (tmp / "flows.py").write_text("def trivial():\n    return 1\n")
    with session_scope(url) as s:
        deps.upsert_deployment(s, flow_name="trivial", name="d", entrypoint="flows.py:trivial", path=str(tmp))
    worker = Worker(transport=DBTransport(url), poll_interval=0.05, heartbeat_interval=1.0, shutdown_grace=1)
    stop = threading.Event()
    t = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    t.start()
    latencies = []
    for _ in range(args.runs):
        began = time.perf_counter()
        run = run_deployment("trivial/d", timeout=30, poll_interval=0.02)
        assert run.state and run.state.is_completed(), run.state
        latencies.append(time.perf_counter() - began)
    stop.set()
    t.join(10)

    with session_scope(url) as s:
        for i in range(args.deployments):
            deps.upsert_deployment(
                s,
                flow_name="bench",
                name=f"d{i}",
                entrypoint="flows.py:trivial",
                schedules=[{"cron": "0 * * * *"}],
            )
    began = time.perf_counter()
    with session_scope(url) as s:
        created = schedule_runs(s)
    first = time.perf_counter() - began
    began = time.perf_counter()
    with session_scope(url) as s:
        again = schedule_runs(s)
    steady = time.perf_counter() - began

    rows = [
        ("ad hoc run trigger→Completed, median", f"{statistics.median(latencies) * 1000:.0f} ms"),
        ("ad hoc run trigger→Completed, max", f"{max(latencies) * 1000:.0f} ms"),
        (f"scheduler first pass, {args.deployments} deployments ({created} runs)", f"{first:.2f} s"),
        (f"scheduler steady pass, {args.deployments} deployments ({again} runs)", f"{steady:.2f} s"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
