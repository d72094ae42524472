"""`jupyter orch database upgrade|reset`: schema management of the configured database.

These act on JUPYTER_ORCH_DATABASE_URL directly (also when JUPYTER_ORCH_API_URL is set): a
schema is not something to change over the REST API of a running server.
"""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_orch.cli.app import Context, add_group
from jupyter_orch.cli.spec import add_commands, arg
from jupyter_orch.settings import get_settings, redact_url


def upgrade(args: argparse.Namespace, ctx: Context) -> int:
    # heavy: SQLAlchemy and Alembic, only for this command (the CLI starts without them)
    from jupyter_orch.db import migrate
    from jupyter_orch.db.session import get_engine

    url = get_settings().database_url
    engine = get_engine(url, upgrade=False)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    ctx.print(f"{redact_url(url)}: {before or 'empty'} -> {after}")
    return 0


def reset_db(args: argparse.Namespace, ctx: Context) -> int:
    # heavy: SQLAlchemy and Alembic, only for this command (the CLI starts without them)
    from jupyter_orch.db import migrate
    from jupyter_orch.db.session import get_engine

    url = get_settings().database_url
    if not args.yes:
        answer = input(f"Delete ALL data in {redact_url(url)}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            ctx.print("Aborted.")
            return 1
    migrate.reset(get_engine(url, upgrade=False))
    ctx.print(f"{redact_url(url)}: reset to {migrate.HEAD_REVISION}")
    return 0


# fmt: off
COMMANDS = (
    ("upgrade", "Upgrade the schema to the newest version.",
     "Upgrade the schema of the configured database to the newest version.", upgrade),
    ("reset", "Drop all data and recreate the schema.",
     "Drop every table of the configured database and recreate the schema.", reset_db,
     arg("--yes", "-y", action="store_true", help="do not ask for confirmation")),
)
# fmt: on


def register(subparsers: Any) -> None:
    add_commands(add_group(subparsers, "database", "Manage the orchestration database schema."), COMMANDS)
