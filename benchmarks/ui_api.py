"""What the JupyterLab sidebar asks for, against a database holding 100,000 flow runs.

Fills a fresh database (SQLite by default, or --db-url) with N flow runs spread over 30 days,
10 flows, 2 deployments, every state and a few tags, starts `jupyter orch server` on it, and times
the requests the sidebar makes when it opens: the first page of the runs list (unfiltered and with
each filter), the next page through the cursor, the dashboard counts, and a run page's reads.

    python benchmarks/ui_api.py [--runs 100000] [--repeat 15] [--db-url URL]

Target (issue 6): the runs list's first page in under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_orch.db.models import Deployment, Flow, FlowRun  # noqa: E402
from jupyter_orch.db.session import get_engine  # noqa: E402
from jupyter_orch.server.process import ServerProcess  # noqa: E402

STATES = [("COMPLETED", "Completed")] * 14 + [
    ("FAILED", "Failed"),
    ("CRASHED", "Crashed"),
    ("RUNNING", "Running"),
    ("SCHEDULED", "Scheduled"),
    ("SCHEDULED", "Late"),
    ("CANCELLED", "Cancelled"),
]
TAGS = [[], ["nightly"], ["adhoc"], ["nightly", "etl"]]


def fill(url: str, n: int, chunk: int = 5000) -> tuple[str, str]:
    """N runs in bulk (Core executemany); returns a flow name and a deployment id to filter on."""
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    engine = get_engine(url)
    flows = [
        {"id": str(uuid.uuid4()), "name": f"flow-{i}", "tags": [], "created": now, "updated": now}
        for i in range(10)
    ]
    deps = [
        {
            "id": str(uuid.uuid4()),
            "name": f"dep-{i}",
            "flow_id": flows[i]["id"],
            "flow_name": flows[i]["name"],
            "created": now,
            "updated": now,
            "storage": {},
            "parameters": {},
            "tags": [],
            "job_variables": {},
            "empirical_policy": {},
            "kind": "python",
            "catchup": "skip",
            "paused": False,
        }
        for i in range(2)
    ]
    with engine.begin() as conn:
        conn.execute(Flow.__table__.insert(), flows)
        conn.execute(Deployment.__table__.insert(), deps)
    done = 0
    while done < n:
        rows = []
        for _ in range(min(chunk, n - done)):
            flow = rng.choice(flows)
            dep = deps[0] if flow is flows[0] else deps[1] if flow is flows[1] else None
            stype, sname = rng.choice(STATES)
            start = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
            rid = str(uuid.uuid4())
            rows.append(
                {
                    "id": rid,
                    "name": f"run-{done}",
                    "flow_id": flow["id"],
                    "flow_name": flow["name"],
                    "deployment_id": dep["id"] if dep else None,
                    "parameters": {"n": done},
                    "tags": rng.choice(TAGS),
                    "state_id": str(uuid.uuid4()),
                    "state_type": stype,
                    "state_name": sname,
                    "state_timestamp": start,
                    "expected_start_time": start,
                    "start_time": None if stype == "SCHEDULED" else start,
                    "end_time": start + timedelta(seconds=30)
                    if stype not in ("SCHEDULED", "RUNNING")
                    else None,
                    "total_run_time": 30.0,
                    "run_count": 1,
                    "empirical_policy": {},
                    "job_variables": {},
                    "auto_scheduled": False,
                    "created": start,
                    "updated": start,
                }
            )
            done += 1
        with engine.begin() as conn:
            conn.execute(FlowRun.__table__.insert(), rows)
    return flows[3]["name"], deps[0]["id"]


def timed(client: httpx.Client, path: str, params: dict, repeat: int) -> tuple[float, float, object]:
    """Median and max milliseconds of `repeat` GETs (after one warm-up), and the items returned."""
    client.get(path, params=params).raise_for_status()
    samples, items = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        resp = client.get(path, params=params)
        samples.append((time.perf_counter() - t0) * 1000)
        resp.raise_for_status()
        body = resp.json()
        items = len(body["items"]) if isinstance(body, dict) and "items" in body else "–"
    return statistics.median(samples), max(samples), items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db-url", default=None, help="default: a SQLite file in a temp dir")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'orch.db'}"
        t0 = time.perf_counter()
        flow_name, dep_id = fill(url, args.runs)
        print(f"filled {args.runs:,} runs in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
        env = {"JUPYTER_ORCH_DATABASE_URL": url}
        with ServerProcess(url, Path(tmp), env=env) as server:
            client = httpx.Client(
                base_url=f"{server.url}/orch/api",
                headers={"Authorization": f"token {server.token}"},
                timeout=60,
            )
            first = client.get("flow_runs", params={"limit": 50}).json()
            run_id = first["items"][0]["id"]
            since = (datetime.now(timezone.utc) - timedelta(hours=24)).isoformat()
            cases = [
                ("runs list, first page", "flow_runs", {"limit": 50}),
                ("runs list, next page (cursor)", "flow_runs", {"limit": 50, "cursor": first["next"]}),
                ("runs list, filter flow", "flow_runs", {"limit": 50, "flow_name": flow_name}),
                ("runs list, filter deployment", "flow_runs", {"limit": 50, "deployment_id": dep_id}),
                ("runs list, filter state FAILED", "flow_runs", {"limit": 50, "state_type": "FAILED"}),
                ("runs list, filter tag", "flow_runs", {"limit": 50, "tags": "etl"}),
                (
                    "runs list, filter state + tag",
                    "flow_runs",
                    {"limit": 50, "state_type": "COMPLETED", "tags": "nightly"},
                ),
                ("dashboard counts, 24 h", "flow_runs/counts", {"since": since}),
                ("late runs", "flow_runs", {"limit": 50, "state_name": "Late"}),
                ("run page: run", f"flow_runs/{run_id}", {}),
                ("run page: graph", f"flow_runs/{run_id}/graph", {}),
                ("run page: logs", "logs", {"flow_run_id": run_id}),
                ("deployments", "deployments", {}),
            ]
            print(f"\n| request ({args.runs:,} runs in the database) | median ms | max ms | items |")
            print("|---|---|---|---|")
            for label, path, params in cases:
                med, worst, items = timed(client, path, params, args.repeat)
                print(f"| {label} | {med:.1f} | {worst:.1f} | {items} |")
            print("\nTarget: the runs list's first page in under 300 ms.")


if __name__ == "__main__":
    main()
