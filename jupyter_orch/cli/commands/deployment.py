"""`jupyter orch deployment ls|inspect|run|pause|resume|delete` and `concurrency-limit create|ls|delete`."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group
from jupyter_orch.cli.output import print_json
from jupyter_orch.cli.spec import JSON, SAME, add_commands, arg, listing, param, print_fields, request, show
from jupyter_orch.cli.watch import watch_run

NAME = arg("name", help="flow-name/deployment-name")
#: what `deployment inspect` prints, in order (then one line a schedule)
INSPECTED = (
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
)


def read_deployment(ctx: Context, name: str) -> dict[str, Any]:
    if "/" not in name:
        raise UsageError(f"invalid deployment {name!r}; name it flow-name/deployment-name")
    flow, dep = name.split("/", 1)
    return ctx.client.get(f"deployments/name/{flow}/{dep}")


def _by_name(suffix: str = "") -> Any:
    """The path of the deployment the argument `name` names (looked up), then `suffix`."""
    return lambda args, ctx: f"deployments/{read_deployment(ctx, args.name)['id']}{suffix}"


def _print_deployment(ctx: Context, dep: dict[str, Any]) -> None:
    fields = [(key, dep.get(key)) for key in INSPECTED]
    fields += [
        ("schedule", f"{s['description']}{'' if s['active'] else ' (paused)'}") for s in dep["schedules"]
    ]
    print_fields(ctx, fields, width=15)


def _deployment_row(d: dict[str, Any]) -> tuple[Any, ...]:
    schedules = "; ".join(s["description"] for s in d["schedules"])
    return d["full_name"], d["work_pool_name"], "paused" if d["paused"] else "active", schedules


def run_deployment(args: argparse.Namespace, ctx: Context) -> int:
    dep = read_deployment(ctx, args.name)
    run = ctx.client.post(f"deployments/{dep['id']}/create_flow_run", {"parameters": dict(args.param)})
    if not args.json:
        ctx.print(f"Created flow run {run['name']!r} ({run['id']}) of {dep['full_name']}.")
    if args.watch:
        run = watch_run(ctx, run["id"], timeout=args.timeout)
    if args.json:
        print_json(ctx, run)
    elif args.watch:
        message = f": {run['state_message']}" if run.get("state_message") else ""
        ctx.print(f"Flow run {run['name']!r} is {run.get('state_name') or run['state_type']}{message}.")
    # with --watch the exit code tells a script how the run ended (or that it did not, in time)
    return 0 if not args.watch or run.get("state_type") == "COMPLETED" else 1


def create_limit(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.post("concurrency_limits", {"tag": args.tag, "concurrency_limit": args.limit})
    ctx.print(f"At most {args.limit} task runs tagged {args.tag!r} will run at once.")
    return 0


PAUSE = "Pause a deployment's schedules (its scheduled runs are removed)."
PARAM_HELP = "parameter override (VALUE is JSON, else a string); repeatable"
# fmt: off
DEPLOYMENT_COMMANDS = (
    ("ls", "List deployments.", SAME,
     listing("deployments", ("name", "pool", "status", "schedules"), _deployment_row,
             lambda _: {"limit": 500}),
     JSON),
    ("inspect", "Show a deployment.", SAME, show(_by_name(), _print_deployment), NAME, JSON),
    ("pause", PAUSE, SAME, request("post", _by_name("/pause"), "Paused {name}."), NAME),
    ("resume", "Resume a deployment's schedules.", SAME,
     request("post", _by_name("/resume"), "Resumed {name}."), NAME),
    ("delete", "Delete a deployment.", SAME, request("delete", _by_name(), "Deleted {name}."), NAME),
    ("run", "Run a deployment now.", "Create an ad hoc run of a deployment.", run_deployment, NAME,
     arg("--param", action="append", type=param, default=[], metavar="KEY=VALUE", help=PARAM_HELP),
     arg("--watch", action="store_true", help="follow the run with a progress bar until it ends"),
     arg("--timeout", type=float, default=None, help="with --watch: stop following after S seconds"),
     JSON),
)
LIMIT_COMMANDS = (
    ("create", "Limit concurrent task runs with a tag.", SAME, create_limit,
     arg("tag"), arg("limit", type=int)),
    ("ls", "List limits.", "List concurrency limits.",
     listing("concurrency_limits", ("tag", "limit", "active"),
             lambda x: (x["tag"], x["concurrency_limit"], x["active_slots"])),
     JSON),
    ("delete", "Delete a limit.", "Delete a tag's limit.",
     request("delete", "concurrency_limits/{tag}", "Deleted the limit on {tag!r}."), arg("tag")),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(add_group(subparsers, "deployment", "Manage deployments."), DEPLOYMENT_COMMANDS)
    limits = add_group(subparsers, "concurrency-limit", "Manage tag concurrency limits of task runs.")
    add_commands(limits, LIMIT_COMMANDS)
