"""`jupyter orch secret set|ls|delete`: secrets stored encrypted; their values are never printed.

`set` reads the value from standard input (or a prompt that does not echo), so it stays out of
shell history and process listings; flows read it with `Secret.load(name).get()`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group
from jupyter_orch.cli.output import print_json, table
from jupyter_orch.timefmt import short_time


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "secret", "Manage secrets (stored encrypted, never shown).")
    set_ = sub.add_parser(
        "set",
        help="Store a secret read from standard input (or a prompt).",
        description="Store a secret. The value is read from standard input, or asked for without echo.",
    )
    set_.add_argument("name")
    set_.add_argument("--overwrite", action="store_true", help="replace an existing secret")
    set_.add_argument("--json", action="store_true", help="print JSON (never the value)")
    set_.set_defaults(func=set_secret)
    ls = sub.add_parser("ls", help="List secret names.")
    ls.add_argument("--prefix", help="only names starting with this")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_secrets)
    delete = sub.add_parser("delete", help="Delete a secret.")
    delete.add_argument("name")
    delete.set_defaults(func=delete_secret)


def _read_value(name: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(f"Value of secret {name!r}: ")
    else:
        value = sys.stdin.read().rstrip("\r\n") if sys.stdin is not None else ""
    if not value:
        raise UsageError(
            "no value given: pipe it on standard input, e.g. `printenv TOKEN | ... secret set NAME`"
        )
    return value


def set_secret(args: argparse.Namespace, ctx: Context) -> int:
    row = ctx.client.post(
        "secrets", {"name": args.name, "value": _read_value(args.name), "overwrite": args.overwrite}
    )
    if args.json:
        print_json(ctx, row)
    else:
        ctx.print(f"Stored secret {row['name']!r} (encrypted).")
    return 0


def list_secrets(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("secrets", prefix=args.prefix)["items"]
    if args.json:
        print_json(ctx, items)
    else:
        ctx.print(table(("name", "updated"), [(s["name"], short_time(s["updated"])) for s in items]))
    return 0


def delete_secret(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"secrets/name/{args.name}")
    ctx.print(f"Deleted secret {args.name!r}.")
    return 0
