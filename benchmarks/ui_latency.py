"""How fast the JupyterLab pages follow the orchestrator, measured in Debian's Chromium.

Starts JupyterLab with the built extension (the UI tests' server config: fresh JUPYTER_ORCH_HOME
and server root, the built-in local worker), deploys a trivial notebook, and drives the browser with
Playwright (`labextension/ui-tests/bench/ui_latency.mjs`, the UI tests' node packages):

- click on "Start run" on the deployment page -> the run page shows Completed (median over N,
  beside the run's own duration; target: under 0.3 s more than the run);
- a state committed over REST -> an open run page shows it, through the event stream (from the
  POST's answer, i.e. after the commit, and from the request's start; target: under 100 ms);
- with --runs N (default 100,000) runs in the database, the Runs page's first render (target:
  500 ms), and a run page with a graph of --tasks (default 1,000) task runs (target: laid out
  under 1 s). Each page's time is split for a loaded machine: its API requests (each with its
  size and the server's time from the Server-Timing header: `app` from request to answer, `db`
  the operation, `json` the encoding), its own `orch:*` performance measures, and Chromium's
  main-thread counters (script, style, layout). The load average is printed with the figures.

    python benchmarks/ui_latency.py [--n 5] [--runs 100000] [--tasks 1000]

Needs the built extension (`npm run build` in labextension/) and `npm ci` in
labextension/ui-tests (ui-tests/run.sh does both).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
UI_TESTS = ROOT / "labextension" / "ui-tests"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from jupyter_orch.server.process import free_port  # noqa: E402

TRIVIAL = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "params",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": "x = 1",
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "body",
            "metadata": {},
            "outputs": [],
            "source": "y = x + 1",
        },
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"JupyterLab did not answer at {url}")


def graph_run(api: httpx.Client, tasks: int) -> str:
    """A flow run with `tasks` completed task runs in a fan-in shape (each tenth feeds the next)."""
    run = api.post("flow_runs", json={"flow_name": "ui-latency-graph", "state": {"type": "COMPLETED"}}).json()
    now = datetime.now(timezone.utc)
    rows, edges = [], []
    for i in range(tasks):
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "name": f"task-{i}",
                "task_key": f"task-{i % 20}",
                "dynamic_key": str(i),
                "flow_run_id": run["id"],
                "state_id": str(uuid.uuid4()),
                "state_type": "COMPLETED",
                "state_name": "Completed",
                "start_time": (now + timedelta(milliseconds=i)).isoformat(),
                "end_time": (now + timedelta(milliseconds=i + 5)).isoformat(),
            }
        )
        if i >= 10 and i % 10 == 0:
            edges += [
                {"flow_run_id": run["id"], "upstream_id": rows[j]["id"], "downstream_id": rows[i]["id"]}
                for j in range(i - 10, i)
            ]
    answer = api.post("task_runs/batch", json={"task_runs": rows, "edges": edges})
    answer.raise_for_status()
    return run["id"]


def stats(values: list[float]) -> str:
    if not values:
        return "—"
    q = statistics.quantiles(values, n=20) if len(values) > 1 else values
    return f"{statistics.median(values) * 1000:7.0f} ms (p95 {q[-1] * 1000:.0f} ms, n={len(values)})"


HOPS = (
    "click -> run created (Scheduled)",
    "Scheduled -> picked up (Pending)",
    "Pending -> Running",
    "Running -> Completed (the run)",
    "Completed committed -> page shows it",
)


def hop_rows(hops: list[list[float]]) -> list[tuple[str, str, str]]:
    """Where the 'Start run' time goes, hop by hop (from the run's state history)."""
    return [(f"    {name}", stats([h[i] for h in hops if h[i] == h[i]]), "") for i, name in enumerate(HOPS)]


def split_rows(result: dict, key: str) -> list[tuple[str, str, str]]:
    """A page's time until painted, split: its API requests answered, then its own work; each
    request with its size and the server's share (Server-Timing), and the page's own marks."""
    rows = [
        ("    of which the page's API requests", stats([result[f"{key}_requests"]]), ""),
        *api_rows(result.get(f"{key}_api") or []),
        ("    then the page's own work until painted", stats([result[f"{key}_draw"]]), ""),
    ]
    rows += [(f"      {m['name']}", f"{m['ms']:7.0f} ms", "") for m in result.get(f"{key}_marks") or []]
    main = result.get(f"{key}_main")
    if main:  # Chromium's counters over the whole load: the main thread busy, and on what
        rows.append(
            (
                "    main thread busy (script, style, layout)",
                f"{main['TaskDuration']:7.0f} ms",
                ", ".join(f"{main[k]:.0f}" for k in MAIN_PARTS) + " ms",
            )
        )
    return rows


#: Chromium's main-thread counters the page's work splits into (Performance.getMetrics)
MAIN_PARTS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration")


def api_rows(requests: list[dict]) -> list[tuple[str, str, str]]:
    """One row per API request of a page: started at, took, bytes, the server's time."""
    rows = []
    for r in requests:
        path, _, query = r["path"].partition("?")
        path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", path)
        if "sort=expected_start_time" in query:
            path += " (upcoming)"
        server = ", ".join(f"{k} {v:.0f}" for k, v in r["server"].items())
        rows.append(
            (
                f"      GET {path[:40]} @{r['start'] * 1000:.0f}",
                f"{r['ms']:7.0f} ms {r['bytes']:>9,} B",
                f"server ms: {server}" if server else "",
            )
        )
    return rows


def get_rows(gets: list[dict]) -> list[tuple[str, str, str]]:
    """The graph GETs timed alone from the benchmark (median of 3): time, bytes, server time."""
    return [
        (
            f"  alone: GET {g['path'].split('/')[-1]}",
            f"{g['ms']:7.0f} ms {g['bytes']:>9,} B",
            f"Server-Timing: {g['server']}",
        )
        for g in gets
    ]


def measure(base: str, args: argparse.Namespace) -> dict:
    """Deploy the trivial notebook (and the graph run), then run the browser half; its JSON."""
    wait_for(f"{base}/orch/api/health", time.monotonic() + 120)
    api = httpx.Client(base_url=f"{base}/orch/api/", timeout=60)
    httpx.put(
        f"{base}/api/contents/ui_latency.ipynb", json={"type": "notebook", "content": TRIVIAL}
    ).raise_for_status()
    deployment = api.post(
        "deployments",
        json={"name": "trivial", "flow_name": "ui_latency", "kind": "notebook", "path": "ui_latency.ipynb"},
    ).json()
    graph_id = graph_run(api, args.tasks) if args.tasks else ""
    out = subprocess.run(
        ["node", "bench/ui_latency.mjs", base, deployment["id"], str(args.n), graph_id],
        cwd=UI_TESTS,
        stdout=subprocess.PIPE,  # the JSON result; progress goes to stderr, shown as it comes
        text=True,
        timeout=1800,
    )
    if out.returncode:
        raise SystemExit(f"browser half failed:\n{out.stdout}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5, help="runs started and state changes measured")
    parser.add_argument("--runs", type=int, default=100_000, help="flow runs in the database (0: none)")
    parser.add_argument("--tasks", type=int, default=1000, help="task runs in the graph run (0: skip)")
    args = parser.parse_args()
    if not (ROOT / "jupyter_orch" / "labextension" / "package.json").exists():
        raise SystemExit("build the extension first: (cd labextension && npm run build)")
    if not (UI_TESTS / "node_modules" / "@playwright" / "test").exists():
        raise SystemExit("install the UI test packages first: (cd labextension/ui-tests && npm ci)")

    load = os.getloadavg()  # the machine is shared: the figures are read against it
    home = tempfile.mkdtemp(prefix="orch-ui-latency-")
    db_url = f"sqlite:///{home}/orch.db"
    if args.runs:
        from ui_api import fill  # the sidebar benchmark's bulk filler: runs over 30 days, every state

        started = time.monotonic()
        fill(db_url, args.runs)
        print(f"filled {args.runs:,} runs in {time.monotonic() - started:.0f} s", flush=True)
    port = free_port()
    env = {
        **os.environ,
        "ORCH_UI_PORT": str(port),
        "JUPYTER_ORCH_HOME": home,
        "JUPYTER_ORCH_DATABASE_URL": db_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    base = f"http://localhost:{port}"
    with open(Path(home) / "server.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--config", "jupyter_server_test_config.py"],
            cwd=UI_TESTS,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            result = measure(base, args)
        finally:
            server.terminate()
            server.wait(30)

    overhead = [a - b for a, b in zip(result["start_to_completed"], result["run_durations"], strict=True)]
    rows = [
        ("load average (1 min) before, after", f"{load[0]:.1f}, {os.getloadavg()[0]:.1f}", ""),
        ("'Start run' click -> page shows Completed", stats(result["start_to_completed"]), ""),
        ("  the run's own duration (start -> end)", stats(result["run_durations"]), ""),
        ("  page overhead beyond the run", stats(overhead), "< 300 ms"),
        *hop_rows(result.get("hops") or []),
        ("state committed -> open page shows it", stats(result["state_to_page"]), "< 100 ms"),
        ("  (from the request's start)", stats(result["state_to_page_sent"]), ""),
        (
            f"Runs page first render ({args.runs:,} runs)",
            stats([result["runs_page_first_render"]]),
            "< 500 ms",
        ),
        *split_rows(result, "runs_page"),
    ]
    if args.tasks:
        rows += [
            (
                f"run page, {result['graph_nodes']} task runs laid out ({result['graph_drawn']} drawn)",
                stats([result["graph_render"]]),
                "< 1 s",
            ),
            ("  until the next frame (painted)", stats([result["graph_painted"]]), "< 1 s"),
            *split_rows(result, "graph"),
            *get_rows(result.get("graph_gets") or []),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'median':>7}{'':28}  target")
    for name, value, target in rows:
        print(f"{name.ljust(width)}  {value:<36}  {target}")


if __name__ == "__main__":
    main()
