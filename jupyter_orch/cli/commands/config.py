"""`jupyter orch config show`: the settings in effect (from the environment)."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.output import print_json
from jupyter_orch.cli.spec import JSON, add_commands, arg, print_fields
from jupyter_orch.settings import get_settings


def show_config(args: argparse.Namespace, ctx: Context) -> int:
    settings = get_settings()
    values: dict[str, Any] = settings.as_dict(reveal_secrets=args.show_secrets)
    values["mode"] = "server" if settings.api_url else "database"
    if args.json:
        print_json(ctx, values)
    else:
        print_fields(ctx, [(key, "" if value is None else value) for key, value in values.items()])
    return 0


SHOW = "Print the settings in effect and where flows report (a server or the database)."
COMMANDS = (
    ("show", "Print the settings in effect.", SHOW, show_config,
     JSON, arg("--show-secrets", action="store_true", help="print the token and database password")),
)  # fmt: skip


def register(subparsers: Any) -> None:
    add_commands(add_group(subparsers, "config", "Show the configuration."), COMMANDS)
