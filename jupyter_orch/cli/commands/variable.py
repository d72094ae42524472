"""`jupyter orch variable set|get|ls|unset`: named JSON values flows read with `Variable.get`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.output import print_json, table
from jupyter_orch.timefmt import short_time


def _json_or_text(value: str) -> Any:
    """A JSON value when it parses as one (`5`, `true`, `{"a": 1}`), else the text itself."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "variable", "Manage variables (named JSON values flows read).")
    set_ = sub.add_parser("set", help="Create or (with --overwrite) change a variable.")
    set_.add_argument("name")
    set_.add_argument("value", type=_json_or_text, help="JSON (5, true, [1,2], {...}) or plain text")
    set_.add_argument("--tag", action="append", default=[], help="repeatable")
    set_.add_argument("--overwrite", action="store_true", help="replace an existing variable")
    set_.add_argument("--json", action="store_true", help="print JSON")
    set_.set_defaults(func=set_variable)
    get = sub.add_parser("get", help="Print a variable's value (JSON).")
    get.add_argument("name")
    get.add_argument("--json", action="store_true", help="print the whole variable as JSON")
    get.set_defaults(func=get_variable)
    ls = sub.add_parser("ls", help="List variables.")
    ls.add_argument("--prefix", help="only names starting with this")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_variables)
    unset = sub.add_parser("unset", help="Delete a variable.")
    unset.add_argument("name")
    unset.set_defaults(func=unset_variable)


def set_variable(args: argparse.Namespace, ctx: Context) -> int:
    body = {"name": args.name, "value": args.value, "tags": args.tag, "overwrite": args.overwrite}
    row = ctx.client.post("variables", body)
    if args.json:
        print_json(ctx, row)
    else:
        ctx.print(f"Set variable {row['name']!r} = {json.dumps(row['value'])}")
    return 0


def get_variable(args: argparse.Namespace, ctx: Context) -> int:
    row = ctx.client.get(f"variables/name/{args.name}")
    if args.json:
        print_json(ctx, row)
    else:
        ctx.print(json.dumps(row["value"]))
    return 0


def list_variables(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("variables", prefix=args.prefix)["items"]
    if args.json:
        print_json(ctx, items)
        return 0
    rows = [
        (v["name"], _short(json.dumps(v["value"])), ", ".join(v["tags"] or []), short_time(v["updated"]))
        for v in items
    ]
    ctx.print(table(("name", "value", "tags", "updated"), rows))
    return 0


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def unset_variable(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"variables/name/{args.name}")
    ctx.print(f"Deleted variable {args.name!r}.")
    return 0
