"""`jupyter orch work-pool create|ls|inspect|pause|resume|delete` and `jupyter orch worker start`."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.output import print_json, table


def _nonneg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}; expected a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"invalid number {n}; expected 0 or more")
    return n


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "work-pool", "Manage work pools.")
    create = sub.add_parser("create", help="Create a work pool.", description="Create a work pool.")
    create.add_argument("name")
    create.add_argument("--concurrency-limit", type=_nonneg, help="at most this many runs at once")
    create.add_argument("--description")
    create.add_argument("--paused", action="store_true", help="create it paused")
    create.set_defaults(func=create_pool)
    ls = sub.add_parser("ls", help="List work pools.", description="List work pools.")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_pools)
    for verb, func, text in (
        ("inspect", inspect_pool, "Show a work pool and its queues."),
        ("pause", pause_pool, "Pause a work pool: its runs are not claimed."),
        ("resume", resume_pool, "Resume a paused work pool."),
        ("delete", delete_pool, "Delete a work pool."),
    ):
        p = sub.add_parser(verb, help=text, description=text)
        p.add_argument("name")
        if verb == "inspect":
            p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)

    worker = add_group(subparsers, "worker", "Run a worker.")
    start = worker.add_parser(
        "start", help="Start a worker for a pool.", description="Claim and run the pool's runs."
    )
    start.add_argument("--pool", required=True, help="work pool name")
    start.add_argument("--name", help="worker name (default: host-pid)")
    start.add_argument("--limit", type=_nonneg, help="at most this many runs at once")
    start.add_argument("--poll-interval", type=float, default=0.5, help="seconds between polls (default 0.5)")
    start.add_argument("--heartbeat-interval", type=float, default=2.0, help="seconds between heartbeats")
    start.add_argument("--no-warm", action="store_true", help="start each run with a fresh interpreter")
    start.add_argument(
        "--claim-ahead",
        type=float,
        default=30.0,
        help="claim runs due within this many seconds, prepare their processes, and start them at "
        "their time (default 30, at most 60; 0: off)",
    )
    start.add_argument(
        "--kernel-pool-size",
        type=_nonneg,
        default=1,
        help="warm kernels kept ready per kernelspec for notebook runs (0: off; default 1)",
    )
    start.set_defaults(func=start_worker)


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


def list_pools(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("work_pools")["items"]
    if args.json:
        print_json(ctx, items)
        return 0
    rows = [(p["name"], p["status"], p.get("concurrency_limit"), len(p.get("queues", []))) for p in items]
    ctx.print(table(("name", "status", "limit", "queues"), rows))
    return 0


def inspect_pool(args: argparse.Namespace, ctx: Context) -> int:
    pool = ctx.client.get(f"work_pools/{args.name}")
    if args.json:
        print_json(ctx, pool)
        return 0
    for key in ("name", "status", "type", "concurrency_limit", "description", "created"):
        ctx.print(f"{key.ljust(18)}  {'' if pool.get(key) is None else pool[key]}")
    rows = [(q["name"], q["priority"], q.get("concurrency_limit"), q["is_paused"]) for q in pool["queues"]]
    ctx.print(table(("queue", "priority", "limit", "paused"), rows))
    return 0


def pause_pool(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.post(f"work_pools/{args.name}/pause")
    ctx.print(f"Paused work pool {args.name!r}.")
    return 0


def resume_pool(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.post(f"work_pools/{args.name}/resume")
    ctx.print(f"Resumed work pool {args.name!r}.")
    return 0


def delete_pool(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"work_pools/{args.name}")
    ctx.print(f"Deleted work pool {args.name!r}.")
    return 0


def start_worker(args: argparse.Namespace, ctx: Context) -> int:
    import signal
    import threading

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
