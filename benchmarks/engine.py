"""Engine overhead, beside Prefect 3 measured in the same run.

    python benchmarks/engine.py [--tasks 2000] [--submits 500] [--repeat 3] [--fanout 100000]
                                [--no-prefect] [--baseline DIR]

Every measurement runs in a fresh subprocess with a private home (SQLite for us, Prefect's
ephemeral mode with PREFECT_HOME in a temp dir), so neither side profits from the other's caches:

* per-task overhead: a flow of N trivial sequential tasks, wall time / N, including the final
  flush (every task-run state persisted: checked in our database afterwards); the median of
  `--repeat` runs, each in a fresh process and database, with their range;
* submit overhead: `t.submit(i).result()` of a trivial task, per call;
* first flow call: `python -c` that imports and calls a trivial flow, from spawn to exit
  (and import-to-return inside the process), once on a new database and once on an existing one;
* fan-out: one flow mapping `--fanout` trivial tasks (`.map` then every result), wall time and the
  process's peak RSS, every task run checked in the database afterwards; Prefect at 1,000 and
  10,000 (where it finishes within the timeout).

`--baseline DIR` measures another checkout of jupyter-orch (e.g. `git worktree add /tmp/base REV`)
in the same run and prints it beside: the A/B for a change that must not cost speed. The two are
interleaved: `--repeat` rounds, each running every measurement once for each side, the order
alternating, so a machine whose load drifts weighs on both alike (medians over the rounds; for a
fan-out, the round of median CPU time). `--tasks 0` measures the fan-out alone.

Prefect is installed once into /work/prefect-venv (created here if missing); if that fails its
column says why and ours is still measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine_scripts import DRESSED, FANOUT, FIRST_CALL, PER_TASK, SUBMIT

REPO = Path(__file__).resolve().parents[1]
PREFECT_VENV = Path(os.environ.get("PREFECT_VENV", "/work/prefect-venv"))
PREFECT_PIP = ["prefect==3.8.8", "fastapi<0.150"]


def run_script(python: str, code: str, env: dict[str, str], timeout: float = 900) -> tuple[dict, float]:
    """Run `code`; (its JSON answer, wall seconds from spawn to exit)."""
    start = time.perf_counter()
    # run outside any checkout: `python -c` puts the working directory first on sys.path, which
    # would import the jupyter_orch of the directory the benchmark was started in, not PYTHONPATH's
    proc = subprocess.run(
        [python, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tempfile.gettempdir(),
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{python} failed:\n{proc.stderr[-3000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line), wall


def ours_env(home: Path, repo: Path = REPO) -> dict[str, str]:
    # bytecode caches as an installed package has them (a first import compiles, the rest do not)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(JUPYTER_ORCH_HOME=str(home), PYTHONPATH=str(repo))
    return env


def prefect_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ALLOW_EPHEMERAL_MODE="true",
        PREFECT_LOGGING_LEVEL="WARNING",
        # a loaded machine needs more than the default 20 s to start the ephemeral server
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    return env


def ensure_prefect() -> tuple[str | None, str]:
    """The Prefect interpreter, or None and why not."""
    python = PREFECT_VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(PREFECT_VENV)], check=True, capture_output=True)
            subprocess.run(
                [str(PREFECT_VENV / "bin" / "pip"), "install", "-q", *PREFECT_PIP],
                check=True,
                capture_output=True,
                timeout=900,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            return None, f"could not install Prefect into {PREFECT_VENV}: {exc}"
    try:
        version = subprocess.run(
            [str(python), "-c", "import prefect; print(prefect.__version__)"],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"Prefect in {PREFECT_VENV} does not import: {exc}"
    return str(python), version


def count_ours(home: Path) -> tuple[int, int]:
    """Task runs and task-run states in our database (to prove everything was persisted)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home / 'orch.db'}")
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM task_runs")).scalar_one()
        states = conn.execute(text("SELECT count(*) FROM task_run_states")).scalar_one()
    engine.dispose()
    return runs, states


def fanout(python: str, pkg: str, env_for, sizes: list[int], timeout: float) -> dict[int, dict]:
    """One flow mapping n trivial tasks, for each n: wall seconds and peak RSS (or why not)."""
    out: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        for n in sizes:
            home = Path(tmp) / f"fan-{n}"
            try:
                res, _ = run_script(python, FANOUT.format(pkg=pkg, n=n), env_for(home), timeout=timeout)
            except subprocess.TimeoutExpired:
                out[n] = {"error": f"did not finish in {timeout:.0f} s"}
                continue
            except RuntimeError as exc:
                out[n] = {"error": str(exc).splitlines()[-1][:60]}
                continue
            if pkg == "jupyter_orch":
                res["persisted"] = count_ours(home)[0]
            out[n] = res
    return out


def measure(name: str, python: str, pkg: str, env_for, n_tasks: int, n_submits: int, repeat: int) -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        # the per-task flow `repeat` times, each in a fresh process and database: the median
        # (a single run swings with whatever else the machine does), and the range beside it
        runs = []
        for k in range(repeat):
            home = Path(tmp) / f"per-task-{k}"
            res, _ = run_script(python, PER_TASK.format(pkg=pkg, n=n_tasks), env_for(home))
            runs.append((res["seconds"] / n_tasks, res["cpu"] / n_tasks))
            if pkg == "jupyter_orch":
                out["persisted"] = count_ours(home)
        runs.sort()
        out["per_task"], out["per_task_cpu"] = runs[len(runs) // 2]
        out["per_task_range"] = (runs[0][0], runs[-1][0])
        try:  # a checkout older than these options (a --baseline) leaves the row empty
            res, _ = run_script(python, DRESSED.format(pkg=pkg, n=n_tasks), env_for(Path(tmp) / "dressed"))
            out["dressed"] = res["seconds"] / n_tasks
        except Exception:
            out["dressed"] = None
        home = Path(tmp) / "submit"
        res, _ = run_script(python, SUBMIT.format(pkg=pkg, n=n_submits), env_for(home))
        out["submit"] = res["seconds"] / n_submits
        home = Path(tmp) / "first"
        for label in ("first_new_db", "first_existing_db"):
            res, wall = run_script(python, FIRST_CALL.format(pkg=pkg), env_for(home))
            out[label] = (wall, res["seconds"], res["cpu"])
        out["import_cpu"] = res["import_cpu"]
        # the floor on this machine: an interpreter that only imports the database toolkit
        _, wall = run_script(python, "import sqlalchemy.orm; print('{}')", env_for(home))
        out["floor"] = wall
    return out


def merge_rounds(rounds: list[dict]) -> dict:
    """One side's figures over interleaved rounds (`measure(..., repeat=1)` each): the median of
    each figure, and the per-task range across rounds."""
    out = dict(rounds[-1])
    pairs = sorted((r["per_task"], r["per_task_cpu"]) for r in rounds)
    out["per_task"], out["per_task_cpu"] = pairs[len(pairs) // 2]
    out["per_task_range"] = (pairs[0][0], pairs[-1][0])
    for key, value in rounds[0].items():
        values = [r[key] for r in rounds]
        if key in ("per_task", "per_task_cpu", "per_task_range", "persisted") or None in values:
            continue
        if isinstance(value, tuple):
            out[key] = tuple(statistics.median(v) for v in zip(*values, strict=True))
        else:
            out[key] = statistics.median(values)
    return out


def median_fan(rounds: list[dict[int, dict]]) -> dict[int, dict]:
    """Each fan-out size's round of median CPU time (the A/B figure on a loaded machine)."""
    out: dict[int, dict] = {}
    for n in rounds[0] if rounds else {}:
        ok = sorted((r[n] for r in rounds if "cpu" in r.get(n, {})), key=lambda r: r["cpu"])
        out[n] = ok[len(ok) // 2] if ok else rounds[0][n]
    return out


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_fan(res: dict | None) -> str:
    if res is None:
        return "n/a"
    if "error" in res:
        return res["error"]
    cpu = f" ({res['cpu']:.1f} s CPU)" if "cpu" in res else ""
    return f"{res['seconds']:.2f} s{cpu}, {res['rss'] / 2**20:.0f} MB"


def get(d: dict | None, key: str, idx: int | None = None) -> float | None:
    if d is None:
        return None
    v = d[key]
    return v[idx] if idx is not None else v


ROWS = [
    ("per-task overhead (states persisted), median", "per_task", None, 100e-6),
    ("  same, CPU time (all threads)", "per_task_cpu", None, None),
    ("per-task, with a hook, run-name template, retry condition", "dressed", None, 100e-6),
    (".submit + .result overhead", "submit", None, None),
    ("first flow call, spawn→exit (new DB)", "first_new_db", 0, None),
    ("first flow call, import→return (new DB)", "first_new_db", 1, None),
    ("first flow call, spawn→exit (existing DB)", "first_existing_db", 0, 0.300),
    ("first flow call, import→return (existing DB)", "first_existing_db", 1, None),
    ("  same, CPU time", "first_existing_db", 2, None),
    ("import flow, task (CPU time)", "import_cpu", None, None),
    ("floor: python -c 'import sqlalchemy.orm'", "floor", None, None),
]


def print_table(columns: list[tuple[str, dict | None]], fans: list[tuple[str, dict[int, dict]]]) -> None:
    width = max(len(r[0]) for r in ROWS)
    head = "".join(f"  {name:>14}" for name, _ in columns)
    ours = columns[0][1]
    if ours is not None:  # `--tasks 0`: the fan-out alone
        print(f"\n{'measurement':<{width}}{head}  {'target':>8}")
        print("-" * (width + 16 * len(columns) + 12))
    for label, key, idx, target in ROWS if ours is not None else ():
        mine = get(ours, key, idx)
        flag = "" if target is None else (" ok" if mine is not None and mine <= target else " MISSED")
        cells = "".join(f"  {fmt_time(get(d, key, idx)):>14}" for _, d in columns)
        print(f"{label:<{width}}{cells}  {fmt_time(target) if target else '':>8}{flag}")
    sizes = sorted({n for _, fan in fans for n in fan})
    if not sizes:
        return
    head = "".join(f"  {name:>28}" for name, _ in fans)
    print(f"\n{'fan-out: one flow, .map over N tasks':<{width}}{head}")
    print("-" * (width + 30 * len(fans)))
    for n in sizes:
        cells = "".join(f"  {fmt_fan(fan.get(n)):>28}" for _, fan in fans)
        target = "< 6 s, < 300 MB" if n >= 100_000 else ""
        print(f"{f'{n:,} tasks (wall, CPU, peak RSS)':<{width}}{cells}  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=2000, help="sequential tasks (0: fan-out only)")
    parser.add_argument("--submits", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="per-task runs (median reported)")
    parser.add_argument("--fanout", type=int, default=100_000, help="tasks in the fan-out flow (0: skip)")
    parser.add_argument("--no-prefect", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another jupyter-orch checkout, interleaved")
    args = parser.parse_args()

    def measure_ours(name: str, repo: Path) -> tuple[dict | None, dict[int, dict]]:
        print(f"{name} ({repo}): {args.tasks} sequential tasks, {args.submits} submits ...", flush=True)
        env_for = lambda home: ours_env(home, repo)  # noqa: E731
        res = None
        if args.tasks:
            res = measure(
                name, sys.executable, "jupyter_orch", env_for, args.tasks, args.submits, args.repeat
            )
        fan = fanout(sys.executable, "jupyter_orch", env_for, [args.fanout] if args.fanout else [], 600)
        return res, fan

    columns: list[tuple[str, dict | None]] = []
    fans: list[tuple[str, dict[int, dict]]] = []
    if args.baseline:  # ours and the baseline's, round by round, the order alternating
        sides = [("jupyter-orch", REPO), ("baseline", args.baseline.resolve())]
        rounds: dict[str, list[tuple[dict | None, dict[int, dict]]]] = {name: [] for name, _ in sides}
        repeat, args.repeat = args.repeat, 1
        for k in range(repeat):
            for name, repo in sides if k % 2 == 0 else sides[::-1]:
                rounds[name].append(measure_ours(name, repo))
        args.repeat = repeat
        for name, _ in sides:
            measured = [res for res, _ in rounds[name] if res is not None]
            columns.append((name, merge_rounds(measured) if measured else None))
            fans.append((name, median_fan([fan for _, fan in rounds[name]])))
    else:
        ours, ours_fan = measure_ours("jupyter-orch", REPO)
        columns.append(("jupyter-orch", ours))
        fans.append(("jupyter-orch", ours_fan))
    ours, ours_fan = columns[0][1], fans[0][1]
    theirs: dict | None = None
    note = "skipped (--no-prefect)"
    if not args.no_prefect:
        python, info = ensure_prefect()
        if python is None:
            note = info
        else:
            print(f"Prefect {info}: same measurements ...", flush=True)
            try:
                if args.tasks:
                    theirs = measure(
                        "prefect", python, "prefect", prefect_env, args.tasks, args.submits, args.repeat
                    )
                note = f"Prefect {info}, ephemeral mode"
            except Exception as exc:
                note = f"Prefect run failed: {str(exc).splitlines()[0]}"
            if args.fanout:
                sizes = [n for n in (1_000, 10_000) if n <= args.fanout]
                fans.append(("Prefect 3", fanout(python, "prefect", prefect_env, sizes, 300)))
    columns.append(("Prefect 3", theirs))
    print_table(columns, fans)
    for side, d in columns:
        if d is not None:
            low, high = d["per_task_range"]
            print(f"{side}: per-task overhead over {args.repeat} runs: {fmt_time(low)} to {fmt_time(high)}")
    if ours is not None:
        runs, states = ours["persisted"]
        print(f"\njupyter-orch persisted {runs} task runs and {states} task-run states in the per-task run")
        print(
            f"({args.tasks} tasks + 1 warm-up: expect {args.tasks + 1} runs, {3 * (args.tasks + 1)} states)"
        )
    for n, res in ours_fan.items():
        if "persisted" in res:
            print(f"jupyter-orch fan-out of {n:,}: {res['persisted']:,} task runs recorded")
    print(f"Prefect: {note}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
