"""`jupyter orch config show`: the settings in effect (from the environment)."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.output import print_json
from jupyter_orch.settings import get_settings


def register(subparsers: Any) -> None:
    sub = add_group(subparsers, "config", "Show the configuration.")
    show = sub.add_parser(
        "show",
        help="Print the settings in effect.",
        description="Print the settings in effect and where flows report (a server or the database).",
    )
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--show-secrets", action="store_true", help="print the token and database password")
    show.set_defaults(func=show_config)


def show_config(args: argparse.Namespace, ctx: Context) -> int:
    settings = get_settings()
    values: dict[str, Any] = settings.as_dict(reveal_secrets=args.show_secrets)
    values["mode"] = "server" if settings.api_url else "database"
    if args.json:
        print_json(ctx, values)
        return 0
    width = max(len(k) for k in values)
    for key, value in values.items():
        ctx.print(f"{key.ljust(width)}  {'' if value is None else value}")
    return 0
