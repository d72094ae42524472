"""Notebook deployment latency: trigger → Completed of a trivial two-cell notebook.

    python benchmarks/notebooks.py [--runs 5] [--no-papermill] [--baseline DIR [--rounds 3]]

Three ways, in the same run on the same notebook (with one injected parameter):
  * ours without the warm pool: `run_deployment` → our worker (poll 50 ms) → a kernel started
    for the run → papermill execution → Completed;
  * ours with the warm pool (size 1): the same, on a kernel started ahead of time;
  * the `papermill` command line (`python -m papermill in.ipynb out.ipynb -p n 2`), end to end.
Targets: no slower than papermill without the pool, under half of papermill's time with it.
Each setting is warmed up once (imports, first kernel); the table shows median and min of the
rest. Uses a throwaway SQLite database under a temporary directory. `--baseline DIR` measures
our two ways for another jupyter-orch checkout too, interleaved with ours round by round (see
benchmarks/baseline.py), and prints both.
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
from pathlib import Path

import baseline


def _notebook(path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [new_code_cell("n = 1", metadata={"tags": ["parameters"]}), new_code_cell("print(n * 2)")]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": spec}), path)


def _ours(url: str, pool_size: int, runs: int) -> list[float]:
    from jupyter_orch.workers.worker import Worker

    run_deployment = baseline.first_of(
        "jupyter_orch.runner:run_deployment", "jupyter_orch.deployments:run_deployment"
    )
    conn = baseline.worker_connection(url)
    worker = Worker(**conn, poll_interval=0.05, heartbeat_interval=1.0, kernel_pool_size=pool_size)
    notebooks = worker.executor.by_kind["notebook"]
    notebooks.prewarm()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    times = []
    try:
        for i in range(runs + 1):
            notebooks.pools.wait_ready(120)  # a steady state: the pool has refilled between triggers
            started = time.perf_counter()
            run = run_deployment("bench/d", parameters={"n": 2}, timeout=120, poll_interval=0.01)
            elapsed = time.perf_counter() - started
            if run.state_type != "COMPLETED":
                raise RuntimeError(f"run ended {run.state}")
            if i:  # the first is the warm-up
                times.append(elapsed)
    finally:
        stop.set()
        thread.join(60)
    return times


def _papermill(nb: Path, out: Path, runs: int) -> list[float]:
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "papermill", str(nb), str(out), "-p", "n", "2", "--no-progress-bar"]
        subprocess.run(cmd, check=True, capture_output=True)
        if i:
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-papermill", action="store_true", help="our two ways only")
    baseline.add_arguments(ap)
    args = ap.parse_args()
    if args.baseline:
        results = baseline.interleave(__file__, baseline.child_argv(sys.argv[1:]), args.baseline, args.rounds)
        rows = [(f"{way}, median of {args.runs} (s)", way, lambda x: f"{x:.2f}") for way in WAYS]
        baseline.print_ab(results, rows, note=f"{args.rounds} rounds a side; ")
        return
    tmp = Path(tempfile.mkdtemp(prefix="orch-nb-bench-"))
    url = f"sqlite:///{tmp / 'orch.db'}"
    os.environ.update(JUPYTER_ORCH_HOME=str(tmp), JUPYTER_ORCH_DATABASE_URL=url)
    os.environ.pop("JUPYTER_ORCH_API_URL", None)
    deploy_notebook = baseline.first_of(
        "jupyter_orch.runner.notebooks:deploy_notebook", "jupyter_orch.notebooks.deploy:deploy_notebook"
    )
    nb = tmp / "bench.ipynb"
    _notebook(nb)
    deploy_notebook(nb, name="d")
    results = {}
    if not (args.no_papermill or args.as_child):
        results["papermill CLI"] = _papermill(nb, tmp / "pm-out.ipynb", args.runs)
    results["ours, no pool"] = _ours(url, 0, args.runs)
    results["ours, warm pool"] = _ours(url, 1, args.runs)
    if args.as_child:
        baseline.emit({way: statistics.median(times) for way, times in results.items()})
        return
    _print(results, args.runs)


WAYS = ("ours, no pool", "ours, warm pool")


def _print(results: dict[str, list[float]], runs: int) -> None:
    base = statistics.median(results.get("papermill CLI") or [float("nan")])
    print(f"Trigger → Completed, trivial 2-cell notebook ({runs} runs each, after a warm-up)\n")
    print(f"| {'way':<16} | {'median s':>8} | {'min s':>6} | {'vs papermill':>12} |")
    print(f"|{'-' * 18}|{'-' * 10}|{'-' * 8}|{'-' * 14}|")
    for name, times in results.items():
        med = statistics.median(times)
        print(f"| {name:<16} | {med:>8.2f} | {min(times):>6.2f} | {med / base:>11.0%} |")
    no_pool, pool = statistics.median(results["ours, no pool"]), statistics.median(results["ours, warm pool"])
    print(
        f"\ntargets: no pool <= papermill: {'met' if no_pool <= base else 'MISSED'}; "
        f"warm pool < 50% of papermill: {'met' if pool < base / 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
