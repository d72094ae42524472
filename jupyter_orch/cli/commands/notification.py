"""`jupyter orch notification create|ls|delete|test`: notification rules and a test message."""

from __future__ import annotations

import argparse
import time
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group, json_object_arg
from jupyter_orch.cli.output import print_json, table
from jupyter_orch.services.notifications import NotificationService
from jupyter_orch.timefmt import short_time

CHANNELS = ("webhook", "slack", "email", "ui")


def _seconds(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seconds {value!r}; expected a number") from None
    if not 0 <= n <= 3600:
        raise argparse.ArgumentTypeError(f"invalid seconds {n}; expected 0-3600")
    return n


def register(subparsers: Any) -> None:
    sub = add_group(
        subparsers, "notification", "Manage notification rules (webhook, Slack, email, Lab toast)."
    )
    create = sub.add_parser(
        "create",
        help="Create a notification rule.",
        description="Notify through a channel when runs enter the given states (all states if none given).",
    )
    create.add_argument("name")
    create.add_argument("--channel", choices=CHANNELS, required=True)
    create.add_argument("--url", help="webhook/slack: the URL to POST to")
    create.add_argument("--to", action="append", default=[], metavar="ADDRESS", help="email: repeatable")
    create.add_argument("--smtp-host", help="email: SMTP server (default localhost)")
    create.add_argument("--smtp-port", type=int, help="email: SMTP port (default 25)")
    create.add_argument(
        "--state", action="append", default=[], metavar="NAME", help="e.g. Failed; repeatable"
    )
    create.add_argument("--tag", action="append", default=[], help="only runs with one of these tags")
    create.add_argument(
        "--deployment", action="append", default=[], metavar="FLOW/DEPLOYMENT", help="only runs of these"
    )
    create.add_argument("--template", help="message template, e.g. '{flow_name} is {state_name}'")
    create.add_argument(
        "--config", type=json_object_arg("--config"), help="other channel settings as a JSON object"
    )
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(func=create_rule)

    ls = sub.add_parser("ls", help="List notification rules.", description="List notification rules.")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_rules)

    delete = sub.add_parser("delete", help="Delete a rule.", description="Delete a notification rule.")
    delete.add_argument("id", help="rule id (see `notification ls`)")
    delete.set_defaults(func=delete_rule)

    test = sub.add_parser(
        "test",
        help="Send a test message through a rule's channel.",
        description="Send a test message through a rule's channel and report whether it was delivered.",
    )
    test.add_argument("id", help="rule id (see `notification ls`)")
    test.add_argument(
        "--wait", type=_seconds, default=30.0, help="seconds to wait for the outcome (default 30)"
    )
    test.add_argument("--json", action="store_true", help="print JSON")
    test.set_defaults(func=send_test)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    config = dict(args.config or {})
    if args.url:
        config["url"] = args.url
    if args.to:
        config["to"] = args.to
    if args.smtp_host:
        config["smtp_host"] = args.smtp_host
    if args.smtp_port:
        config["smtp_port"] = args.smtp_port
    return config


def _deployment_ids(ctx: Context, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        if "/" not in name:
            raise UsageError(f"invalid deployment {name!r}; name it flow-name/deployment-name")
        flow, dep = name.split("/", 1)
        ids.append(ctx.client.get(f"deployments/name/{flow}/{dep}")["id"])
    return ids


def create_rule(args: argparse.Namespace, ctx: Context) -> int:
    body = {
        "name": args.name,
        "channel": args.channel,
        "config": _config(args),
        "state_names": args.state,
        "tags": args.tag,
        "deployment_ids": _deployment_ids(ctx, args.deployment),
        "message_template": args.template,
    }
    rule = ctx.client.post("notifications", body)
    if args.json:
        print_json(ctx, rule)
    else:
        ctx.print(f"Created notification rule {rule['name']!r} ({rule['channel']}): {rule['id']}")
    return 0


def _target(rule: dict[str, Any]) -> str:
    config = rule.get("config") or {}
    to = config.get("to")
    return config.get("url") or (", ".join(to) if isinstance(to, list) else to) or ""


def list_rules(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("notifications")["items"]
    if args.json:
        print_json(ctx, items)
        return 0
    rows = [
        (
            r["id"],
            r["name"],
            r["channel"],
            _target(r),
            ", ".join(r.get("state_names") or []) or "any",
            ", ".join(r.get("tags") or []),
            "yes" if r.get("is_active", True) else "no",
        )
        for r in items
    ]
    ctx.print(table(("id", "name", "channel", "to", "states", "tags", "active"), rows))
    return 0


def delete_rule(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"notifications/{args.id}")
    ctx.print(f"Deleted notification rule {args.id}.")
    return 0


def send_test(args: argparse.Namespace, ctx: Context) -> int:
    delivery = ctx.client.post(f"notifications/{args.id}/test")
    if ctx.client.mode != "http":
        # no server sends it in this mode: this process does, now (it sends whatever else is due too)
        NotificationService(ctx.client.transport.database_url).run_once()
    deadline = time.monotonic() + args.wait
    while delivery["status"] == "PENDING" and not delivery.get("attempts") and time.monotonic() < deadline:
        time.sleep(0.2)  # the server's notification service sends it within about a second
        delivery = ctx.client.get(f"notifications/deliveries/{delivery['id']}")
    if args.json:
        print_json(ctx, delivery)
    elif delivery["status"] == "SENT":
        ctx.print(f"Sent through {delivery['channel']} at {short_time(delivery.get('created'))}.")
    elif delivery.get("last_error"):
        ctx.print(f"Not delivered through {delivery['channel']}: {delivery['last_error']}")
    else:
        ctx.print(f"Queued; not sent within {args.wait:g} s (is a server with its services running?).")
    return 0 if delivery["status"] == "SENT" else 1
