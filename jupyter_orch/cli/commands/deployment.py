"""`jupyter orch deployment ls|inspect|run|pause|resume|delete` and `concurrency-limit create|ls|delete`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group
from jupyter_orch.cli.output import print_json, table


def _param(value: str) -> tuple[str, Any]:
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"invalid --param {value!r}; expected KEY=VALUE")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "deployment", "Manage deployments.")
    ls = sub.add_parser("ls", help="List deployments.", description="List deployments.")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_deployments)
    for verb, func, text in (
        ("inspect", inspect_deployment, "Show a deployment."),
        ("pause", pause, "Pause a deployment's schedules (its scheduled runs are removed)."),
        ("resume", resume, "Resume a deployment's schedules."),
        ("delete", delete, "Delete a deployment."),
    ):
        p = sub.add_parser(verb, help=text, description=text)
        p.add_argument("name", help="flow-name/deployment-name")
        if verb == "inspect":
            p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)
    run = sub.add_parser(
        "run", help="Run a deployment now.", description="Create an ad hoc run of a deployment."
    )
    run.add_argument("name", help="flow-name/deployment-name")
    run.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="KEY=VALUE",
        help="parameter override (VALUE is JSON, else a string); repeatable",
    )
    run.add_argument("--watch", action="store_true", help="follow the run with a progress bar until it ends")
    run.add_argument(
        "--timeout", type=float, default=None, help="with --watch: stop following after S seconds"
    )
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(func=run_deployment)

    limits = add_group(subparsers, "concurrency-limit", "Manage tag concurrency limits of task runs.")
    create = limits.add_parser(
        "create",
        help="Limit concurrent task runs with a tag.",
        description="Limit concurrent task runs with a tag.",
    )
    create.add_argument("tag")
    create.add_argument("limit", type=int)
    create.set_defaults(func=create_limit)
    lls = limits.add_parser("ls", help="List limits.", description="List concurrency limits.")
    lls.add_argument("--json", action="store_true", help="print JSON")
    lls.set_defaults(func=list_limits)
    delete_ = limits.add_parser("delete", help="Delete a limit.", description="Delete a tag's limit.")
    delete_.add_argument("tag")
    delete_.set_defaults(func=delete_limit)


def _read(ctx: Context, name: str) -> dict[str, Any]:
    if "/" not in name:
        raise UsageError(f"invalid deployment {name!r}; name it flow-name/deployment-name")
    flow, dep = name.split("/", 1)
    return ctx.client.get(f"deployments/name/{flow}/{dep}")


def list_deployments(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("deployments", limit=500)["items"]
    if args.json:
        print_json(ctx, items)
        return 0
    rows = [
        (
            d["full_name"],
            d["work_pool_name"],
            "paused" if d["paused"] else "active",
            "; ".join(s["description"] for s in d["schedules"]),
        )
        for d in items
    ]
    ctx.print(table(("name", "pool", "status", "schedules"), rows))
    return 0


def inspect_deployment(args: argparse.Namespace, ctx: Context) -> int:
    dep = _read(ctx, args.name)
    if args.json:
        print_json(ctx, dep)
        return 0
    for key in (
        "id",
        "full_name",
        "kind",
        "entrypoint",
        "path",
        "work_pool_name",
        "paused",
        "catchup",
        "parameters",
        "tags",
    ):
        ctx.print(f"{key.ljust(15)}  {dep.get(key)}")
    for s in dep["schedules"]:
        ctx.print(f"{'schedule'.ljust(15)}  {s['description']}{'' if s['active'] else ' (paused)'}")
    return 0


def run_deployment(args: argparse.Namespace, ctx: Context) -> int:
    dep = _read(ctx, args.name)
    run = ctx.client.post(f"deployments/{dep['id']}/create_flow_run", {"parameters": dict(args.param)})
    if not args.json:
        ctx.print(f"Created flow run {run['name']!r} ({run['id']}) of {dep['full_name']}.")
    if args.watch:
        from jupyter_orch.cli.watch import watch_run

        run = watch_run(ctx, run["id"], timeout=args.timeout)
    if args.json:
        print_json(ctx, run)
    elif args.watch:
        message = f": {run['state_message']}" if run.get("state_message") else ""
        ctx.print(f"Flow run {run['name']!r} is {run.get('state_name') or run['state_type']}{message}.")
    # with --watch the exit code tells a script how the run ended (or that it did not, in time)
    return 0 if not args.watch or run.get("state_type") == "COMPLETED" else 1


def pause(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.post(f"deployments/{_read(ctx, args.name)['id']}/pause")
    ctx.print(f"Paused {args.name}.")
    return 0


def resume(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.post(f"deployments/{_read(ctx, args.name)['id']}/resume")
    ctx.print(f"Resumed {args.name}.")
    return 0


def delete(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"deployments/{_read(ctx, args.name)['id']}")
    ctx.print(f"Deleted {args.name}.")
    return 0


def create_limit(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.post("concurrency_limits", {"tag": args.tag, "concurrency_limit": args.limit})
    ctx.print(f"At most {args.limit} task runs tagged {args.tag!r} will run at once.")
    return 0


def list_limits(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("concurrency_limits")["items"]
    if args.json:
        print_json(ctx, items)
        return 0
    ctx.print(
        table(
            ("tag", "limit", "active"), [(x["tag"], x["concurrency_limit"], x["active_slots"]) for x in items]
        )
    )
    return 0


def delete_limit(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"concurrency_limits/{args.tag}")
    ctx.print(f"Deleted the limit on {args.tag!r}.")
    return 0
