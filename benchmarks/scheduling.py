"""Scheduling benchmarks, ours beside Prefect 3 where it applies.

    python benchmarks/scheduling.py [--runs 5] [--lateness-deployments 1000] [--deployments 10000]
                                    [--prefect /work/prefect-venv] [--minutes 2]

1. ad hoc run latency (trigger → Completed) of a trivial Python flow deployment: our worker
   beside Prefect 3's `flow.serve()` (its own `prefect server start`);
2. start lateness of 1,000 deployments on `* * * * *`, over `--minutes` minute boundaries (the
   first at least 45 s after the worker starts, so it claims ahead as a long-running worker does),
   run by our scheduler service and worker: when each flow body's first line ran (the flow writes
   time.time() to a file) minus its scheduled time; beside it the runs' recorded start_time
   (when RUNNING was proposed), completion lateness (end_time − expected) and the peak PSS of
   the worker with all its processes;
3. scheduler pass time for 10,000 active deployments (first pass and a steady one).

Prints a markdown table. Throwaway SQLite databases under a temporary directory.

`--baseline DIR [--rounds N]` measures ours (no Prefect) for another jupyter-orch checkout too,
interleaved with ours round by round (see benchmarks/baseline.py), and prints both; beside the
ad hoc latency, the CPU time this process (client, worker, scheduler threads) spent per run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import baseline
from prefect_serve import prefect_adhoc

FLOW = "def trivial():\n    return 1\n"
#: the lateness benchmark's flow also notes when its body really starts (a file per run), so the
#: table shows the body's own start lateness beside the recorded start_time's
TIMED_FLOW = (
    "import os, time\n\n"
    "def trivial():\n"
    "    began = time.time()\n"
    "    where = os.environ.get('ORCH_BENCH_STARTS')\n"
    "    if where:\n"
    "        with open(os.path.join(where, os.environ['JUPYTER_ORCH_FLOW_RUN_ID']), 'w') as f:\n"
    "            f.write(repr(began))\n"
    "    return 1\n"
)


#: `--db-url`: run the start-lateness benchmark on this (empty, throwaway) database instead
LATENESS_DB: str | None = None


def _env(tmp: Path, db_url: str | None = None) -> str:
    url = db_url or f"sqlite:///{tmp / 'orch.db'}"
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
                "work_pool_name": first.work_pool_name,  # as upsert_deployment sets it
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
    from jupyter_orch.workers.worker import Worker

    worker = Worker(**baseline.worker_connection(url), heartbeat_interval=2.0, shutdown_grace=5, **kw)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    return worker, stop, thread


# -- 1. ad hoc latency -------------------------------------------------------------------------
def ours_adhoc(runs: int, cpu: list[float] | None = None) -> list[float]:
    """Trigger → Completed of each run, seconds; `cpu` gets this process's CPU seconds per run
    (the trigger's client, the worker's threads) beside, which a loaded machine blurs less."""
    tmp = Path(tempfile.mkdtemp(prefix="orch-bench-adhoc-"))
    url = _env(tmp)
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.orchestration.store import deployments as deps

    run_deployment = baseline.first_of(
        "jupyter_orch.runner:run_deployment", "jupyter_orch.deployments:run_deployment"
    )

    (tmp / "flows.py").write_text(FLOW)
    with session_scope(url) as s:
        deps.upsert_deployment(s, flow_name="trivial", name="d", entrypoint="flows.py:trivial", path=str(tmp))
    _, stop, thread = _worker(url, poll_interval=0.05)
    latencies = []
    try:
        for _ in range(runs):
            began, cpu0 = time.perf_counter(), time.process_time()
            run = run_deployment("trivial/d", timeout=60, poll_interval=0.02)
            assert run.state and run.state.is_completed(), run.state
            latencies.append(time.perf_counter() - began)
            if cpu is not None:
                cpu.append(time.process_time() - cpu0)
    finally:
        stop.set()
        thread.join(15)
    return latencies


# -- 2. start lateness ---------------------------------------------------------------------------
def _pss_mb(root: int) -> float:
    """Proportional set size (MB) of `root` and all its descendants (shared pages split fairly)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def lateness(
    n: int, minutes: int, claim_ahead: float | None
) -> tuple[list[float], list[float], list[float], int, float]:
    """Runs due at the next `minutes` minute boundaries: (start − expected, end − expected for the
    completed ones, body start − expected, number of runs expected, peak PSS in MB), in seconds."""
    from sqlalchemy import select

    from jupyter_orch.db.models import FlowRun
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.services.scheduler import SchedulerService

    tmp = Path(tempfile.mkdtemp(prefix="orch-bench-late-"))
    url = _env(tmp, LATENESS_DB)
    (tmp / "flows.py").write_text(TIMED_FLOW)
    starts = tmp / "starts"
    starts.mkdir()
    os.environ["ORCH_BENCH_STARTS"] = str(starts)
    seed(url, n, "* * * * *", tmp)
    scheduler = SchedulerService(url, interval=5.0)
    scheduler.run_once()
    now = datetime.now(timezone.utc)
    first = now.replace(second=0, microsecond=0).timestamp() + 60
    if first - now.timestamp() < 45:  # the worker runs (claims ahead) a while before the first one
        first += 60
    boundaries = [datetime.fromtimestamp(first + 60 * k, timezone.utc) for k in range(minutes)]
    scheduler.launch()
    kw = {} if claim_ahead is None else {"claim_ahead": claim_ahead}
    _, stop, thread = _worker(url, poll_interval=0.1, claim_batch=250, **kw)
    peak = 0.0
    try:
        end = boundaries[-1].timestamp() + 50  # 50 s to start the last minute's runs
        # memory: sampled 10 s before each boundary (every run's process prepared by then) and
        # 15 s after; reading 1,000 processes' smaps takes a second or two of CPU, kept apart from
        # the boundary so it does not hold up the runs it measures
        samples = sorted(b.timestamp() + d for b in boundaries for d in (-10.0, 15.0))
        while time.time() < end:
            if samples and time.time() >= samples[0]:
                samples.pop(0)
                began = time.time()
                peak = max(peak, _pss_mb(os.getpid()))
                print(f"(memory sampled in {time.time() - began:.1f} s)", file=sys.stderr)
            time.sleep(0.2)
    finally:
        stop.set()
        scheduler.halt()
        thread.join(60)
    # every run of the benchmark's deployments due in [first boundary, last boundary]: a range, not
    # equality (SQLite stores timestamps as text, so `IN (boundaries)` matched only by chance)
    with session_scope(url) as s:
        rows = s.execute(
            select(FlowRun.expected_start_time, FlowRun.start_time, FlowRun.end_time, FlowRun.state_type)
            .where(FlowRun.deployment_id.is_not(None))
            .where(FlowRun.expected_start_time >= boundaries[0] - timedelta(seconds=1))
            .where(FlowRun.expected_start_time <= boundaries[-1] + timedelta(seconds=1))
        ).all()
        ids = s.execute(
            select(FlowRun.id, FlowRun.expected_start_time)
            .where(FlowRun.deployment_id.is_not(None))
            .where(FlowRun.expected_start_time >= boundaries[0] - timedelta(seconds=1))
            .where(FlowRun.expected_start_time <= boundaries[-1] + timedelta(seconds=1))
        ).all()
    late = [(start - expected).total_seconds() for expected, start, _, _ in rows if start is not None]
    done = [(end - expected).total_seconds() for expected, _, end, st in rows if st == "COMPLETED"]
    body = []
    for run_id, expected in ids:
        mark = starts / run_id
        if mark.exists():
            exp = expected if expected.tzinfo else expected.replace(tzinfo=timezone.utc)
            body.append(float(mark.read_text()) - exp.timestamp())
    return late, done, body, n * minutes, peak


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
    ap.add_argument("--claim-ahead", type=float, help="worker look-ahead, seconds (default: the worker's)")
    ap.add_argument("--only", choices=("adhoc", "lateness", "pass"), action="append")
    ap.add_argument("--db-url", help="an empty throwaway database for the lateness benchmark")
    baseline.add_arguments(ap, rounds=1)
    args = ap.parse_args()
    global LATENESS_DB
    LATENESS_DB = args.db_url
    only = set(args.only or ("adhoc", "lateness", "pass"))
    if args.baseline:
        results = baseline.interleave(__file__, baseline.child_argv(sys.argv[1:]), args.baseline, args.rounds)
        baseline.print_ab(results, AB_ROWS, note=f"{args.rounds} round(s) a side; ")
        return
    if args.as_child:
        baseline.emit(child_figures(args, only))
        return

    rows: list[tuple[str, str, str, str]] = []
    if "adhoc" in only:
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
                prefect_cell + " (`serve`, default polling)",
                "< 1 s",
            )
        )
    if "lateness" in only:
        late, done, body, expected, peak = lateness(args.lateness_deployments, args.minutes, args.claim_ahead)
        cell = (
            f"p50 {_pct(late, 0.5):.2f} s, p99 {_pct(late, 0.99):.2f} s, max {max(late):.2f} s "
            f"({len(late)}/{expected} started)"
            if late
            else f"no run started (0/{expected})"
        )
        what = f"{args.lateness_deployments} deployments on `* * * * *`, {args.minutes} min"
        # the target is the body's own start (the honest one); start_time is when RUNNING was proposed
        rows.append((f"start_time − scheduled, {what}", cell, "–", ""))
        if body:
            cell = (
                f"p50 {_pct(body, 0.5):.2f} s, p99 {_pct(body, 0.99):.2f} s, max {max(body):.2f} s "
                f"({len(body)} bodies ran)"
            )
            rows.append(
                (f"start lateness (flow body's first line − scheduled), {what}", cell, "–", "p99 < 1 s")
            )
        if done:
            cell = f"p50 {_pct(done, 0.5):.2f} s, p99 {_pct(done, 0.99):.2f} s ({len(done)} completed)"
            rows.append((f"completion lateness (end − scheduled), {what}", cell, "–", ""))
        rows.append((f"peak memory (PSS, worker and its processes), {what}", f"{peak:.0f} MB", "–", ""))
    if "pass" not in only:
        _table(rows)
        return
    first, created, steady = scheduler_pass(args.deployments)
    rows.append(
        (f"scheduler first pass, {args.deployments} deployments ({created} runs)", f"{first:.2f} s", "–", "")
    )
    rows.append((f"scheduler steady pass, {args.deployments} deployments", f"{steady:.2f} s", "–", "< 1 s"))
    _table(rows)


def child_figures(args: argparse.Namespace, only: set[str]) -> dict[str, float | None]:
    """The figures a `--baseline` child reports (ours only, no Prefect)."""
    out: dict[str, float | None] = {}
    if "adhoc" in only:
        cpu: list[float] = []
        ours = ours_adhoc(args.runs, cpu)
        out.update(adhoc_ms=1000 * statistics.median(ours), adhoc_max_ms=1000 * max(ours))
        out["adhoc_cpu_ms"] = 1000 * statistics.median(cpu)
    if "lateness" in only:
        late, done, body, _, _ = lateness(args.lateness_deployments, args.minutes, args.claim_ahead)
        for name, values in (("start", late), ("body", body), ("done", done)):
            out[f"{name}_p50"] = _pct(values, 0.5) if values else None
            out[f"{name}_p99"] = _pct(values, 0.99) if values else None
        out["bodies_ran"] = float(len(body))
    if "pass" in only:
        first, _, steady = scheduler_pass(args.deployments)
        out.update(pass_first=first, pass_steady=steady)
    return out


_MS = lambda x: f"{x:.0f} ms"  # noqa: E731
_S = lambda x: f"{x:.2f} s"  # noqa: E731
AB_ROWS: list[baseline.Row] = [
    ("ad hoc run trigger→Completed, median", "adhoc_ms", _MS),
    ("  the same, max", "adhoc_max_ms", _MS),
    ("  this process's CPU per run (client, worker)", "adhoc_cpu_ms", _MS),
    ("start lateness (body's first line − scheduled), p50", "body_p50", _S),
    ("  the same, p99", "body_p99", _S),
    ("  flow bodies that ran", "bodies_ran", lambda x: f"{x:.0f}"),
    ("runs' start_time − scheduled, p99", "start_p99", _S),
    ("completion lateness (end − scheduled), p50", "done_p50", _S),
    ("  the same, p99", "done_p99", _S),
    ("scheduler first pass", "pass_first", _S),
    ("scheduler steady pass", "pass_steady", _S),
]


def _table(rows: list[tuple[str, str, str, str]]) -> None:
    backend = "PostgreSQL" if LATENESS_DB and LATENESS_DB.startswith("postgresql") else "SQLite"
    print(f"\nMeasured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores ({backend}).\n")
    print("| benchmark | jupyter-orch | Prefect 3.8.8 | target |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
