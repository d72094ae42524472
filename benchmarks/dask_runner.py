"""The Dask task runner: 1,000 trivial mapped tasks on a local 4-process cluster.

    python benchmarks/dask_runner.py [--tasks 1000] [--workers 4] [--repeat 3] [--no-prefect]
                                     [--only RUNNER] [--baseline DIR]

Each measurement runs in a fresh subprocess with a private home (SQLite). The cluster is started
before the flow (`LocalCluster(n_workers=4, processes=True, threads_per_worker=1)`) and the flow's
runner connects to it by address, so start-up is reported apart from the run: "run" is the time
from the flow call to its return (every result gathered), every task run checked in the database
afterwards (runs and states). The thread-pool runner's row is the same flow without Dask; the
"dask alone" row is the floor: the same cluster running the same function with one `client.map`
and `gather`, no orchestration at all.

`--baseline DIR` measures another checkout (e.g. `git worktree add --detach /tmp/base REV`) in the
same run. Every row is measured once a round, `--repeat` rounds, the rows of a runner interleaved
(ours, baseline, floor; then the other way round), so a machine whose load drifts weighs on them
alike: compare CPU time (this process's user+sys over the run, the LocalCluster's scheduler
included) before wall clock on a loaded machine. `--only dask` measures that runner and the floor.
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
import json, resource, time

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

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
    c0, t0 = cpu(), time.perf_counter()
    total = fan({n})
    elapsed, used = time.perf_counter() - t0, cpu() - c0
    assert total == {n} * ({n} - 1) // 2, total
    print(json.dumps({{"startup": startup, "seconds": elapsed, "cpu": used}}))
"""

# the floor: the same cluster and trivial function with no orchestration, one client.map + gather
FLOOR = """
import json, resource, time

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

if __name__ == "__main__":
    from distributed import Client, LocalCluster

    def noop(i):
        return i

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers={workers}, processes=True, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)
    startup = time.perf_counter() - t0
    client.gather(client.map(noop, range(4), pure=False))
    c0, t0 = cpu(), time.perf_counter()
    total = sum(client.gather(client.map(noop, range({n}), pure=False)))
    elapsed, used = time.perf_counter() - t0, cpu() - c0
    assert total == {n} * ({n} - 1) // 2, total
    print(json.dumps({{"startup": startup, "seconds": elapsed, "cpu": used}}))
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


def script(pkg: str, variant: dict, args: argparse.Namespace) -> str:
    """The child's code for `variant` (the floor's, or a runner's flow in package `pkg`)."""
    if variant.get("floor"):
        return FLOOR.format(n=args.tasks, workers=args.workers)
    return SCRIPT.format(
        pkg=pkg,
        n=args.tasks,
        runner_import=variant["runner_import"].format(pkg=pkg),
        cluster=variant["cluster"].format(workers=args.workers),
        runner=variant["runner"].format(workers=args.workers),
    )


class Row:
    """One line of the table: a side's runner (or the floor), measured once a round."""

    def __init__(self, side: str, name: str, python: str, pkg: str, variant: dict, env_for) -> None:  # noqa: ANN001
        self.side, self.name, self.python, self.pkg, self.variant = side, name, python, pkg, variant
        self.env_for = env_for
        self.runs: list[dict] = []
        self.recorded: tuple[int, int] | None = None
        self.error: str | None = None

    def measure(self, args: argparse.Namespace, tmp: Path) -> None:
        """Once, in a fresh process and home."""
        if self.error:
            return
        home = tmp / f"{self.side}-{self.name}-{len(self.runs)}".replace(" ", "_").replace(",", "")
        try:
            res, _ = run_script(self.python, script(self.pkg, self.variant, args), self.env_for(home))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            self.error = str(exc).strip().splitlines()[-1][:70]
            return
        self.runs.append(res)
        if self.pkg == "jupyter_orch" and not self.variant.get("floor"):
            self.recorded = count_ours(home)

    def cells(self, n: int) -> str:
        if self.error or not self.runs:
            return self.error or "not run"
        wall = [r["seconds"] for r in self.runs]
        cpu = [r["cpu"] for r in self.runs]
        text = (
            f"{statistics.median(wall):6.2f} s ({min(wall):.2f}-{max(wall):.2f})  "
            f"CPU {statistics.median(cpu):5.2f} s ({min(cpu):.2f}-{max(cpu):.2f})  "
            f"start-up {statistics.median(r['startup'] for r in self.runs):5.2f} s"
        )
        if self.recorded is not None:
            runs, states = self.recorded
            ok = runs == n + 4 and states == 3 * (n + 4)
            text += f"  recorded {runs}/{states}{'' if ok else ' (MISSING)'}"
        return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians)")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--only", choices=sorted(VARIANTS), help="this runner only (and the floor)")
    parser.add_argument("--baseline", type=Path, help="another jupyter-orch checkout measured beside")
    args = parser.parse_args()

    sides = [("jupyter-orch", REPO)]
    if args.baseline:
        sides.append(("baseline", args.baseline.resolve()))
    names = [args.only] if args.only else list(VARIANTS)
    rows: dict[str, list[Row]] = {}  # per runner, every side's row: interleaved with each other
    for name in names:
        for side, repo in sides:
            env_for = lambda home, repo=repo: ours_env(home, repo)  # noqa: E731
            rows.setdefault(name, []).append(
                Row(side, name, sys.executable, "jupyter_orch", VARIANTS[name], env_for)
            )
        if name == "dask":
            rows[name].append(
                Row("dask alone", "client.map", sys.executable, "", {"floor": True}, lambda h: None)
            )
    prefect = PREFECT_VENV / "bin" / "python"
    if not args.no_prefect and prefect.exists():
        for name in names:
            rows[name].append(
                Row("Prefect 3", name, str(prefect), "prefect", PREFECT_VARIANTS[name], prefect_env)
            )
    elif not args.no_prefect:
        print(f"Prefect: skipped ({prefect} missing)")

    loads = []
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        for k in range(args.repeat):
            for group in rows.values():
                for row in group if k % 2 == 0 else reversed(group):  # the order alternating
                    print(f"round {k + 1}: {row.side} / {row.name} ...", flush=True)
                    row.measure(args, Path(tmp))
                    loads.append(os.getloadavg()[0])

    print(
        f"\n{args.tasks:,} trivial mapped tasks, {args.workers}-process local cluster; "
        "run = flow call to return; CPU = user+sys of that process over the run"
    )
    print(
        f"(the LocalCluster's scheduler runs in it too); median of {args.repeat} interleaved rounds "
        "(range), each a fresh process; cluster start-up apart\n"
    )
    print(f"{'side':<14}{'runner':<13}run")
    print("-" * 110)
    for group in rows.values():
        for row in group:
            print(f"{row.side:<14}{row.name:<13}{row.cells(args.tasks)}")
    print(
        f"\ntarget: dask < 3 s; load average {min(loads):.1f}-{max(loads):.1f} during the run "
        f"on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
