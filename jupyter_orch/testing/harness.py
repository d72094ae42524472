"""`orch_test_harness()`: flows, tasks and everything else report to a private, temporary
SQLite database (in a temporary home) until the block ends; the environment and the process's
client are then restored, so a test suite never touches the user's real runs."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from jupyter_orch.client import reset_client
from jupyter_orch.settings import API_TOKEN_ENV, API_URL_ENV, DATABASE_URL_ENV, HOME_ENV

_NAMES = (HOME_ENV, DATABASE_URL_ENV, API_URL_ENV, API_TOKEN_ENV)


@dataclass(frozen=True)
class OrchTestHarness:
    """Where the harness's runs go."""

    home: Path
    database_url: str


@contextmanager
def orch_test_harness(server_startup_timeout: float | None = None) -> Iterator[OrchTestHarness]:
    """Run the block against a throwaway database; yields where it lives.

    `server_startup_timeout` is accepted for Prefect's signature and unused: no server is
    started, the engine writes the database in-process.
    """
    saved = {name: os.environ.get(name) for name in _NAMES}
    reset_client()  # what the previous client buffered goes where it was meant to
    # runs still finishing in other threads may write into it as it goes: never an error here
    with tempfile.TemporaryDirectory(prefix="jupyter-orch-test-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'orch.db'}"
        os.environ[HOME_ENV] = str(home)
        os.environ[DATABASE_URL_ENV] = url
        os.environ.pop(API_URL_ENV, None)
        os.environ.pop(API_TOKEN_ENV, None)
        try:
            yield OrchTestHarness(home, url)
        finally:
            try:
                reset_client()
                _close_databases()
            finally:
                _restore(saved)


def clear_database(info: OrchTestHarness) -> None:
    """Delete every record of the harness's database (its schema stays): what one test ran is
    not seen by the next, as in Prefect's own suite. Only ever the harness's own SQLite file."""
    reset_client()  # what the client buffered is written first, then deleted with the rest
    path = Path(info.database_url.removeprefix("sqlite:///"))
    if not path.exists() or path.parent != info.home:
        return
    with closing(sqlite3.connect(path, timeout=30)) as conn, conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        conn.execute("PRAGMA foreign_keys = OFF")
        for table in tables:
            if table != "alembic_version" and not table.startswith("sqlite_"):
                conn.execute(f'DELETE FROM "{table}"')


def _close_databases() -> None:
    """Pooled connections to the temporary file are closed before it is deleted."""
    session = sys.modules.get("jupyter_orch.db.session")  # only if SQLAlchemy was ever used
    if session is not None:
        session.dispose_all()


def _restore(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
