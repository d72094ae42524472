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
from jupyter_orch.cli.spec import JSON, PREFIX, add_commands, arg, listing, reply, request
from jupyter_orch.timefmt import short_time


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
    body = {"name": args.name, "value": _read_value(args.name), "overwrite": args.overwrite}
    row = ctx.client.post("secrets", body)
    return reply(ctx, args, row, f"Stored secret {row['name']!r} (encrypted).")


SET = "Store a secret. The value is read from standard input, or asked for without echo."
# fmt: off
COMMANDS = (
    ("set", "Store a secret read from standard input (or a prompt).", SET, set_secret,
     arg("name"),
     arg("--overwrite", action="store_true", help="replace an existing secret"),
     arg("--json", action="store_true", help="print JSON (never the value)")),
    ("ls", "List secret names.", None,
     listing("secrets", ("name", "updated"), lambda s: (s["name"], short_time(s["updated"])),
             lambda args: {"prefix": args.prefix}),
     PREFIX, JSON),
    ("delete", "Delete a secret.", None,
     request("delete", "secrets/name/{name}", "Deleted secret {name!r}."), arg("name")),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(add_group(subparsers, "secret", "Manage secrets (stored encrypted, never shown)."), COMMANDS)
