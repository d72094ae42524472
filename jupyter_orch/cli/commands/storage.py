"""`jupyter orch storage create|ls|show|delete`: named storage for results and notebook outputs
(`result_storage="name"`): an fsspec URL or path, options, and credentials stored encrypted."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from jupyter_orch.cli.app import Context, UsageError, add_group
from jupyter_orch.cli.spec import (
    JSON,
    add_commands,
    arg,
    json_or_text,
    listing,
    print_fields,
    reply,
    request,
    show,
)


def _key_value(value: str) -> tuple[str, Any]:
    if "=" not in value:
        raise argparse.ArgumentTypeError(f"invalid {value!r}; expected KEY=VALUE")
    key, raw = value.split("=", 1)
    return key, json_or_text(raw)


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
    return reply(ctx, args, row, f"Saved storage {row['name']!r}: {row['url']}")


def _print_storage(ctx: Context, row: dict[str, Any]) -> None:
    keys = ("name", "url", "options", "credentials", "updated")
    fields = [(key, json.dumps(row[key]) if isinstance(row[key], dict) else row[key]) for key in keys]
    print_fields(ctx, fields, width=12, sep="")


CREATE = (
    "Save a storage configuration: an fsspec URL or path, options and credentials. "
    "Credentials given with --credential-from-env are read from this process's environment."
)
CREDENTIAL = "a secret option read from an environment variable (stored encrypted); repeatable"
# fmt: off
COMMANDS = (
    ("create", "Save a storage configuration.", CREATE, create_storage,
     arg("name"),
     arg("url", help="a path or fsspec URL, e.g. s3://bucket/results"),
     arg("--option", type=_key_value, action="append", default=[], metavar="KEY=VALUE"),
     arg("--credential-from-env", action="append", default=[], metavar="KEY=ENVVAR", help=CREDENTIAL),
     arg("--overwrite", action="store_true", help="replace an existing configuration"),
     JSON),
    ("ls", "List storage configurations.", None,
     listing("storage", ("name", "url", "options", "credentials"),
             lambda s: (s["name"], s["url"], ", ".join(s["options"]), ", ".join(s["credentials"]))),
     JSON),
    ("show", "Show one (credentials masked).", None,
     show("storage/name/{name}", _print_storage), arg("name"), JSON),
    ("delete", "Delete a storage configuration.", None,
     request("delete", "storage/name/{name}", "Deleted storage {name!r}."), arg("name")),
)
# fmt: on


def register(subparsers: Any) -> None:
    text = "Manage storage configurations (results, notebook outputs)."
    add_commands(add_group(subparsers, "storage", text), COMMANDS)
