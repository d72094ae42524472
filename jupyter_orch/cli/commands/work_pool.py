"""`jupyter orch work-pool create|ls|inspect|pause|resume|delete` and `jupyter orch worker start`."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.output import table
from jupyter_orch.cli.spec import JSON, SAME, add_commands, arg, bounded, listing, print_fields, request, show


def create_pool(args: argparse.Namespace, ctx: Context) -> int:
    body = {
        "name": args.name,
        "concurrency_limit": args.concurrency_limit,
        "description": args.description,
        "is_paused": args.paused,
    }
    pool = ctx.client.post("work_pools", body)
    ctx.print(f"Created work pool {pool['name']!r}.")
    return 0


def _print_pool(ctx: Context, pool: dict[str, Any]) -> None:
    keys = ("name", "status", "type", "concurrency_limit", "description", "created")
    print_fields(ctx, [(key, "" if pool.get(key) is None else pool[key]) for key in keys], width=18)
    rows = [(q["name"], q["priority"], q.get("concurrency_limit"), q["is_paused"]) for q in pool["queues"]]
    ctx.print(table(("queue", "priority", "limit", "paused"), rows))


def start_worker(args: argparse.Namespace, ctx: Context) -> int:
    # heavy: the worker (jupyter_client, SQLAlchemy when local), only for `worker start`
    from jupyter_orch.workers.worker import Worker

    ctx.client.get(f"work_pools/{args.pool}")  # an unknown pool is one clear line, not a traceback
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = Worker(
        pool=args.pool,
        name=args.name,
        poll_interval=args.poll_interval,
        heartbeat_interval=args.heartbeat_interval,
        limit=args.limit,
        warm=not args.no_warm,
        claim_ahead=args.claim_ahead,
        kernel_pool_size=args.kernel_pool_size,
    )
    worker.executor.by_kind["notebook"].prewarm()
    ctx.print(f"Worker {worker.name!r} started on pool {args.pool!r}. Press Ctrl-C to stop.")
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        stop.set()
    return 0


POOL = arg("name")
NONNEG = bounded(int, "number", 0)
AT_MOST = "at most this many runs at once"
CLAIM_AHEAD = (
    "claim runs due within this many seconds, prepare their processes, and start them at "
    "their time (default 30, at most 60; 0: off)"
)
KERNELS = "warm kernels kept ready per kernelspec for notebook runs (0: off; default 1)"
# fmt: off
POOL_COMMANDS = (
    ("create", "Create a work pool.", SAME, create_pool,
     POOL,
     arg("--concurrency-limit", type=NONNEG, help=AT_MOST),
     arg("--description"),
     arg("--paused", action="store_true", help="create it paused")),
    ("ls", "List work pools.", SAME,
     listing("work_pools", ("name", "status", "limit", "queues"),
             lambda p: (p["name"], p["status"], p.get("concurrency_limit"), len(p.get("queues", [])))),
     JSON),
    ("inspect", "Show a work pool and its queues.", SAME, show("work_pools/{name}", _print_pool), POOL, JSON),
    ("pause", "Pause a work pool: its runs are not claimed.", SAME,
     request("post", "work_pools/{name}/pause", "Paused work pool {name!r}."), POOL),
    ("resume", "Resume a paused work pool.", SAME,
     request("post", "work_pools/{name}/resume", "Resumed work pool {name!r}."), POOL),
    ("delete", "Delete a work pool.", SAME,
     request("delete", "work_pools/{name}", "Deleted work pool {name!r}."), POOL),
)
WORKER_COMMANDS = (
    ("start", "Start a worker for a pool.", "Claim and run the pool's runs.", start_worker,
     arg("--pool", required=True, help="work pool name"),
     arg("--name", help="worker name (default: host-pid)"),
     arg("--limit", type=NONNEG, help=AT_MOST),
     arg("--poll-interval", type=float, default=0.5, help="seconds between polls (default 0.5)"),
     arg("--heartbeat-interval", type=float, default=2.0, help="seconds between heartbeats"),
     arg("--no-warm", action="store_true", help="start each run with a fresh interpreter"),
     arg("--claim-ahead", type=float, default=30.0, help=CLAIM_AHEAD),
     arg("--kernel-pool-size", type=NONNEG, default=1, help=KERNELS)),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(add_group(subparsers, "work-pool", "Manage work pools."), POOL_COMMANDS)
    add_commands(add_group(subparsers, "worker", "Run a worker."), WORKER_COMMANDS)
