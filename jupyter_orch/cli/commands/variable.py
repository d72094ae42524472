"""`jupyter orch variable set|get|ls|unset`: named JSON values flows read with `Variable.get`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.spec import JSON, PREFIX, add_commands, arg, json_or_text, listing, reply, request, show
from jupyter_orch.timefmt import short_time


def set_variable(args: argparse.Namespace, ctx: Context) -> int:
    body = {"name": args.name, "value": args.value, "tags": args.tag, "overwrite": args.overwrite}
    row = ctx.client.post("variables", body)
    return reply(ctx, args, row, f"Set variable {row['name']!r} = {json.dumps(row['value'])}")


def _variable_row(v: dict[str, Any]) -> tuple[Any, ...]:
    return v["name"], _short(json.dumps(v["value"])), ", ".join(v["tags"] or []), short_time(v["updated"])


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# fmt: off
COMMANDS = (
    ("set", "Create or (with --overwrite) change a variable.", None, set_variable,
     arg("name"),
     arg("value", type=json_or_text, help="JSON (5, true, [1,2], {...}) or plain text"),
     arg("--tag", action="append", default=[], help="repeatable"),
     arg("--overwrite", action="store_true", help="replace an existing variable"),
     JSON),
    ("get", "Print a variable's value (JSON).", None,
     show("variables/name/{name}", lambda ctx, row: ctx.print(json.dumps(row["value"]))),
     arg("name"),
     arg("--json", action="store_true", help="print the whole variable as JSON")),
    ("ls", "List variables.", None,
     listing("variables", ("name", "value", "tags", "updated"), _variable_row,
             lambda args: {"prefix": args.prefix}),
     PREFIX, JSON),
    ("unset", "Delete a variable.", None,
     request("delete", "variables/name/{name}", "Deleted variable {name!r}."), arg("name")),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(
        add_group(subparsers, "variable", "Manage variables (named JSON values flows read)."), COMMANDS
    )
