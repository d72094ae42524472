"""`jupyter orch storage create|ls|show|delete`: named storage for results and notebook outputs
(`result_storage="name"`): an fsspec URL or path, options, and credentials stored encrypted."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group
from jupyter_orch.cli.output import print_json, table


def _key_value(value: str) -> tuple[str, Any]:
    if "=" not in value:
        raise argparse.ArgumentTypeError(f"invalid {value!r}; expected KEY=VALUE")
    key, raw = value.split("=", 1)
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "storage", "Manage storage configurations (results, notebook outputs).")
    create = sub.add_parser(
        "create",
        help="Save a storage configuration.",
        description="Save a storage configuration: an fsspec URL or path, options and credentials. "
        "Credentials given with --credential-from-env are read from this process's environment.",
    )
    create.add_argument("name")
    create.add_argument("url", help="a path or fsspec URL, e.g. s3://bucket/results")
    create.add_argument("--option", type=_key_value, action="append", default=[], metavar="KEY=VALUE")
    create.add_argument(
        "--credential-from-env",
        action="append",
        default=[],
        metavar="KEY=ENVVAR",
        help="a secret option read from an environment variable (stored encrypted); repeatable",
    )
    create.add_argument("--overwrite", action="store_true", help="replace an existing configuration")
    create.add_argument("--json", action="store_true", help="print JSON")
    create.set_defaults(func=create_storage)
    ls = sub.add_parser("ls", help="List storage configurations.")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=list_storage)
    show = sub.add_parser("show", help="Show one (credentials masked).")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=show_storage)
    delete = sub.add_parser("delete", help="Delete a storage configuration.")
    delete.add_argument("name")
    delete.set_defaults(func=delete_storage)


def _credentials(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, _, env = pair.partition("=")
        if not key or not env or env not in os.environ:
            raise UsageError(f"--credential-from-env {pair!r}: expected KEY=ENVVAR with ENVVAR set")
        out[key] = os.environ[env]
    return out


def create_storage(args: argparse.Namespace, ctx: Context) -> int:
    body = {
        "name": args.name,
        "url": args.url,
        "options": dict(args.option),
        "credentials": _credentials(args.credential_from_env),
        "overwrite": args.overwrite,
    }
    row = ctx.client.post("storage", body)
    if args.json:
        print_json(ctx, row)
    else:
        ctx.print(f"Saved storage {row['name']!r}: {row['url']}")
    return 0


def list_storage(args: argparse.Namespace, ctx: Context) -> int:
    items = ctx.client.get("storage")["items"]
    if args.json:
        print_json(ctx, items)
        return 0
    rows = [(s["name"], s["url"], ", ".join(s["options"]), ", ".join(s["credentials"])) for s in items]
    ctx.print(table(("name", "url", "options", "credentials"), rows))
    return 0


def show_storage(args: argparse.Namespace, ctx: Context) -> int:
    row = ctx.client.get(f"storage/name/{args.name}")
    if args.json:
        print_json(ctx, row)
        return 0
    for key in ("name", "url", "options", "credentials", "updated"):
        ctx.print(f"{key:<12}{json.dumps(row[key]) if isinstance(row[key], dict) else row[key]}")
    return 0


def delete_storage(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client.delete(f"storage/name/{args.name}")
    ctx.print(f"Deleted storage {args.name!r}.")
    return 0
