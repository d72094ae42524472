"""`jupyter orch notification create|ls|delete|test`: notification rules and a test message."""

from __future__ import annotations

import argparse
import time
from typing import Any

from jupyter_orch.cli.app import Context, add_group, json_object_arg
from jupyter_orch.cli.commands.deployment import read_deployment
from jupyter_orch.cli.output import print_json
from jupyter_orch.cli.spec import JSON, SAME, add_commands, arg, bounded, listing, reply, request
from jupyter_orch.services.notifications import NotificationService
from jupyter_orch.timefmt import short_time

CHANNELS = ("webhook", "slack", "email", "ui")


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
    return [read_deployment(ctx, name)["id"] for name in names]


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
    return reply(
        ctx, args, rule, f"Created notification rule {rule['name']!r} ({rule['channel']}): {rule['id']}"
    )


def _target(rule: dict[str, Any]) -> str:
    config = rule.get("config") or {}
    to = config.get("to")
    return config.get("url") or (", ".join(to) if isinstance(to, list) else to) or ""


def _rule_row(r: dict[str, Any]) -> tuple[Any, ...]:
    states = ", ".join(r.get("state_names") or []) or "any"
    active = "yes" if r.get("is_active", True) else "no"
    return r["id"], r["name"], r["channel"], _target(r), states, ", ".join(r.get("tags") or []), active


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


RULE_ID = arg("id", help="rule id (see `notification ls`)")
CREATE = "Notify through a channel when runs enter the given states (all states if none given)."
TEST = "Send a test message through a rule's channel and report whether it was delivered."
# fmt: off
COMMANDS = (
    ("create", "Create a notification rule.", CREATE, create_rule,
     arg("name"),
     arg("--channel", choices=CHANNELS, required=True),
     arg("--url", help="webhook/slack: the URL to POST to"),
     arg("--to", action="append", default=[], metavar="ADDRESS", help="email: repeatable"),
     arg("--smtp-host", help="email: SMTP server (default localhost)"),
     arg("--smtp-port", type=int, help="email: SMTP port (default 25)"),
     arg("--state", action="append", default=[], metavar="NAME", help="e.g. Failed; repeatable"),
     arg("--tag", action="append", default=[], help="only runs with one of these tags"),
     arg("--deployment", action="append", default=[], metavar="FLOW/DEPLOYMENT", help="only runs of these"),
     arg("--template", help="message template, e.g. '{flow_name} is {state_name}'"),
     arg("--config", type=json_object_arg("--config"), help="other channel settings as a JSON object"),
     JSON),
    ("ls", "List notification rules.", SAME,
     listing("notifications", ("id", "name", "channel", "to", "states", "tags", "active"), _rule_row), JSON),
    ("delete", "Delete a rule.", "Delete a notification rule.",
     request("delete", "notifications/{id}", "Deleted notification rule {id}."), RULE_ID),
    ("test", "Send a test message through a rule's channel.", TEST, send_test, RULE_ID,
     arg("--wait", type=bounded(float, "seconds", 0, 3600), default=30.0,
         help="seconds to wait for the outcome (default 30)"),
     JSON),
)
# fmt: on


def register(subparsers: Any) -> None:
    text = "Manage notification rules (webhook, Slack, email, Lab toast)."
    add_commands(add_group(subparsers, "notification", text), COMMANDS)
