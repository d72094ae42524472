"""Same-run A/B against another checkout, for benchmarks that must show a change cost no speed.

`--baseline DIR` (e.g. `git worktree add --detach /tmp/base REV`) runs this benchmark's own body
`--rounds` times for each side, each run a child process of the benchmark script with
`PYTHONPATH` set to the side's checkout, alternating the order round by round (ours, base; base,
ours; ...) so that a machine whose load drifts weighs on both alike. The child prints its figures
as one JSON line (`--as-child`); the parent prints the medians side by side, their ratio, and
every round's values.

The body is this checkout's script: the few internal names it needs that moved between versions
are found by `first_of`, so an older checkout is driven the same way.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: the checkout a child measures (set by `interleave` in the child's environment)
REPO_ENV = "ORCH_BENCH_REPO"


def repo() -> Path:
    """The checkout this process measures: the baseline's in a baseline child, else this one."""
    return Path(os.environ.get(REPO_ENV) or REPO)


def add_arguments(parser: argparse.ArgumentParser, rounds: int = 3) -> None:
    parser.add_argument("--baseline", type=Path, help="another checkout measured beside ours, interleaved")
    parser.add_argument("--rounds", type=int, default=rounds, help="runs per side with --baseline (medians)")
    parser.add_argument("--as-child", action="store_true", help=argparse.SUPPRESS)


def emit(figures: dict[str, Any]) -> None:
    """A child's answer: one JSON line on stdout."""
    print(json.dumps(figures), flush=True)


def first_of(*paths: str) -> Any:
    """The first importable `module:name` of `paths` (a name that moved between versions)."""
    for path in paths:
        module, name = path.split(":")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"none of {paths} in {repo()}")


def worker_connection(url: str) -> dict[str, Any]:
    """The `Worker(...)` keyword that connects a worker to the database at `url` in-process:
    `client=local_client(url)`, or an older checkout's `transport=DBTransport(url)`."""
    try:
        local_client = first_of("jupyter_orch.client:local_client")
    except ImportError:
        return {"transport": first_of("jupyter_orch.workers.db_transport:DBTransport")(url)}
    return {"client": local_client(url)}


def _child(script: Path, argv: list[str], checkout: Path, timeout: float) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caches, as an installed package has them
    env.update(PYTHONPATH=str(checkout), **{REPO_ENV: str(checkout)})
    proc = subprocess.run(
        [sys.executable, str(script), *argv, "--as-child"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/tmp",  # not a checkout: the working directory must not shadow PYTHONPATH's package
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{script.name} on {checkout} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def interleave(
    script: str, argv: list[str], baseline: Path, rounds: int, timeout: float = 3600
) -> dict[str, list[dict[str, Any]]]:
    """Each side's figures, `rounds` runs each, the order alternating round by round."""
    sides = [("ours", REPO), ("baseline", baseline.resolve())]
    out: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in sides}
    for k in range(rounds):
        for name, checkout in sides if k % 2 == 0 else sides[::-1]:
            print(f"round {k + 1}/{rounds}: {name} ({checkout}) ...", file=sys.stderr, flush=True)
            out[name].append(_child(Path(script).resolve(), argv, checkout, timeout))
    return out


def child_argv(argv: list[str]) -> list[str]:
    """The command line minus the parent's own `--baseline DIR` / `--rounds N`."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--baseline", "--rounds"):
            skip = True
        elif not arg.startswith(("--baseline=", "--rounds=")):
            out.append(arg)
    return out


Row = tuple[str, str, Callable[[float], str]]  # label, figure's key, how to print a value


def print_ab(results: dict[str, list[dict[str, Any]]], rows: list[Row], note: str = "") -> None:
    """A table: each row's median for ours and the baseline, ours/baseline, and every round."""
    ours, base = results["ours"], results["baseline"]
    width = max(len(label) for label, _, _ in rows)
    head = f"{'ours':>12}  {'baseline':>12}  {'ours/base':>9}  rounds (ours | baseline)"
    print(f"\n{'measurement':<{width}}  {head}")
    print("-" * (width + 60))
    for label, key, fmt in rows:
        a = [r[key] for r in ours if r.get(key) is not None]
        b = [r[key] for r in base if r.get(key) is not None]
        if not a and not b:
            continue  # not measured in this run
        if not a or not b:
            print(f"{label:<{width}}  {'n/a':>12}  {'n/a':>12}")
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        ratio = f"{ma / mb:.2f}" if mb else "–"
        each = " ".join(fmt(x) for x in a) + " | " + " ".join(fmt(x) for x in b)
        print(f"{label:<{width}}  {fmt(ma):>12}  {fmt(mb):>12}  {ratio:>9}  {each}")
    load = os.getloadavg()
    loads = " / ".join(f"{x:.1f}" for x in load)
    print(f"{note}load average at the end: {loads} on {os.cpu_count()} CPUs")
