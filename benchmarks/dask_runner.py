"""The Dask task runner: 1,000 trivial mapped tasks on a local 4-process cluster.

    python benchmarks/dask_runner.py [--tasks 1000] [--workers 4] [--repeat 3] [--no-prefect]
                                     [--baseline DIR]

Each measurement runs in a fresh subprocess with a private home (SQLite). The cluster is started
before the flow (`LocalCluster(n_workers=4, processes=True, threads_per_worker=1)`) and the flow's
runner connects to it by address, so start-up is reported apart from the run: "run" is the time
from the flow call to its return (every result gathered), every task run checked in the database
afterwards (runs and states). The thread-pool runner's row is the same flow without Dask; the
"dask alone" row is the floor: the same cluster running the same function with one `client.map`
and `gather`, no orchestration at all.

`--baseline DIR` measures another checkout (e.g. `git worktree add /tmp/base REV`) in the same run.
Prefect with prefect-dask is measured beside when its venv exists (`PREFECT_DASK_VENV`, default
/work/prefect-dask-venv: `pip install prefect==3.8.8 "fastapi<0.150" prefect-dask`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from engine import ours_env, prefect_env, run_script  # benchmarks/engine.py: the same private homes

REPO = Path(__file__).resolve().parents[1]
PREFECT_VENV = Path(os.environ.get("PREFECT_DASK_VENV", "/work/prefect-dask-venv"))

# {runner_import} / {runner} pick the runner; the script prints one JSON line
SCRIPT = """
import json, time
if __name__ == "__main__":
    from {pkg} import flow, task
    {runner_import}

    @task
    def noop(i):
        return i

    t0 = time.perf_counter()
    {cluster}
    startup = time.perf_counter() - t0

    @flow(task_runner={runner})
    def fan(n):
        return sum(noop.map(range(n)).result())

    fan(4)  # warm-up: imports, the client's connection, the workers' first unpickling
    t0 = time.perf_counter()
    total = fan({n})
    elapsed = time.perf_counter() - t0
    assert total == {n} * ({n} - 1) // 2, total
    print(json.dumps({{"startup": startup, "seconds": elapsed}}))
"""

# the floor: the same cluster and trivial function with no orchestration, one client.map + gather
FLOOR = """
import json, time
if __name__ == "__main__":
    from distributed import Client, LocalCluster

    def noop(i):
        return i

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers={workers}, processes=True, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)
    startup = time.perf_counter() - t0
    client.gather(client.map(noop, range(4), pure=False))
    t0 = time.perf_counter()
    total = sum(client.gather(client.map(noop, range({n}), pure=False)))
    elapsed = time.perf_counter() - t0
    assert total == {n} * ({n} - 1) // 2, total
    print(json.dumps({{"startup": startup, "seconds": elapsed}}))
"""

LOCAL_CLUSTER = (
    "from distributed import LocalCluster; "
    "cluster = LocalCluster(n_workers={workers}, processes=True, threads_per_worker=1, "
    "dashboard_address=None)"
)

VARIANTS = {
    "dask": {
        "runner_import": "from {pkg}.task_runners import DaskTaskRunner",
        "cluster": LOCAL_CLUSTER,
        "runner": "DaskTaskRunner(address=cluster.scheduler_address)",
    },
    "dask, own": {  # the runner starts (and closes) its cluster inside the flow call
        "runner_import": "from {pkg}.task_runners import DaskTaskRunner",
        "cluster": "pass",
        "runner": 'DaskTaskRunner(cluster_kwargs={{"n_workers": {workers}, "processes": True, '
        '"threads_per_worker": 1, "dashboard_address": None}})',
    },
    "thread pool": {
        "runner_import": "from {pkg}.task_runners import ThreadPoolTaskRunner",
        "cluster": "pass",
        "runner": "ThreadPoolTaskRunner()",
    },
}
PREFECT_VARIANTS = {
    "dask": {**VARIANTS["dask"], "runner_import": "from prefect_dask import DaskTaskRunner"},
    "dask, own": {**VARIANTS["dask, own"], "runner_import": "from prefect_dask import DaskTaskRunner"},
    "thread pool": VARIANTS["thread pool"],
}


def count_ours(home: Path) -> tuple[int, int]:
    """Task runs and task-run states recorded (the warm-up's included)."""
    import sqlite3

    with sqlite3.connect(home / "orch.db") as conn:
        runs = conn.execute("SELECT count(*) FROM task_runs").fetchone()[0]
        states = conn.execute("SELECT count(*) FROM task_run_states").fetchone()[0]
    return runs, states


def measure(python: str, pkg: str, variant: dict, env_for, args: argparse.Namespace) -> dict:
    """The variant `repeat` times, each in a fresh process and home: median and range."""
    code = (
        FLOOR.format(n=args.tasks, workers=args.workers)
        if variant.get("floor")
        else SCRIPT.format(
            pkg=pkg,
            n=args.tasks,
            runner_import=variant["runner_import"].format(pkg=pkg),
            cluster=variant["cluster"].format(workers=args.workers),
            runner=variant["runner"].format(workers=args.workers),
        )
    )
    runs, startups, recorded = [], [], None
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        for k in range(args.repeat):
            home = Path(tmp) / str(k)
            try:
                res, _ = run_script(python, code, env_for(home))
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                return {"error": str(exc).strip().splitlines()[-1][:70]}
            runs.append(res["seconds"])
            startups.append(res["startup"])
            if pkg == "jupyter_orch" and not variant.get("floor"):
                recorded = count_ours(home)
    return {
        "seconds": statistics.median(runs),
        "range": (min(runs), max(runs)),
        "startup": statistics.median(startups),
        "recorded": recorded,
    }


def fmt(res: dict, n: int) -> str:
    if "error" in res:
        return res["error"]
    low, high = res["range"]
    cells = f"{res['seconds']:6.2f} s  ({low:.2f}-{high:.2f})  start-up {res['startup']:5.2f} s"
    if res["recorded"] is not None:
        runs, states = res["recorded"]
        ok = runs == n + 4 and states == 3 * (n + 4)
        cells += f"  recorded {runs} runs/{states} states{'' if ok else ' (MISSING)'}"
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another jupyter-orch checkout measured beside")
    args = parser.parse_args()

    sides = [("jupyter-orch", REPO)]
    if args.baseline:
        sides.append(("baseline", args.baseline.resolve()))
    rows: list[tuple[str, str, dict]] = []
    for side, repo in sides:
        for name, variant in VARIANTS.items():
            print(f"{side} / {name} ...", flush=True)
            env_for = lambda home, repo=repo: ours_env(home, repo)  # noqa: E731
            rows.append((side, name, measure(sys.executable, "jupyter_orch", variant, env_for, args)))
    print("dask alone (the floor) ...", flush=True)
    rows.append(
        ("dask alone", "client.map", measure(sys.executable, "", {"floor": True}, lambda h: None, args))
    )
    prefect = PREFECT_VENV / "bin" / "python"
    if not args.no_prefect and prefect.exists():
        for name, variant in PREFECT_VARIANTS.items():
            print(f"Prefect / {name} ...", flush=True)
            rows.append(("Prefect 3", name, measure(str(prefect), "prefect", variant, prefect_env, args)))
    elif not args.no_prefect:
        print(f"Prefect: skipped ({prefect} missing)")

    print(
        f"\n{args.tasks:,} trivial mapped tasks, {args.workers}-process local cluster; "
        "run = flow call to return"
    )
    print(f"median of {args.repeat} fresh processes (range); cluster start-up apart\n")
    print(f"{'side':<14}{'runner':<13}run")
    print("-" * 100)
    for side, name, res in rows:
        print(f"{side:<14}{name:<13}{fmt(res, args.tasks)}")
    print(f"\ntarget: dask < 3 s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
