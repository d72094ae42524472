"""Schema migrations through Alembic, checked cheaply so a first flow call stays fast, and safe
under any number of processes starting on the same new database at once.

Alembic is imported only when the database is not already at `HEAD_REVISION`; a test keeps that
constant equal to the newest migration. An upgrade runs under a database-wide lock (a PostgreSQL
advisory lock, an `flock` on `<file>-schemalock` beside a SQLite file) and reads the revision
again once it holds it: of many starters one migrates, the others find the schema at head.
Without the lock two starters both saw an empty database and both created the tables
(`UniqueViolation ... alembic_version`, `table applied_batches already exists`).

This module sits below `db.session` (which calls `ensure_schema` on an engine's first use) and
never imports it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

HEAD_REVISION = "0015_task_run_task_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: the key of the PostgreSQL advisory lock held while the schema is created or upgraded
#: (advisory locks are per database; any fixed 64-bit number no other code of ours uses)
PG_SCHEMA_LOCK_KEY = 0x6A6F_7263_6873_6368  # "jorchsch"

_at_head: set[str] = set()  # engines (by URL) this process found or brought to head
_thread_lock = threading.Lock()


def sqlite_revision(dbapi_conn: Any) -> str | None:
    """The revision of a SQLite database read over a plain `sqlite3` connection (no SQLAlchemy)."""
    try:
        row = dbapi_conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except Exception:  # no table yet: a new database
        return None
    return row[0] if row else None


def current_revision(engine: Engine) -> str | None:
    # heavy: SQLAlchemy, off the SQLite fast path (which imports this module)
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.info["write"] = False  # a read: SQLite needs no write lock for it
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            conn.rollback()
            return None
        finally:
            conn.info.pop("write", None)
    return row[0] if row else None


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's schema lock: one process (and thread) at a time creates or upgrades.

    PostgreSQL: a session advisory lock on a connection of its own (released by the server if
    this process dies). SQLite: `flock` on `<file>-schemalock` (released by the kernel if it
    dies); an in-memory database is private to its process, so the thread lock suffices."""
    with _thread_lock:
        dialect = engine.dialect.name
        if dialect == "postgresql":
            with _pg_advisory_lock(engine):
                yield
        elif dialect == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            with _file_lock(str(engine.url.database) + "-schemalock"):
                yield
        else:
            yield


@contextmanager
def _pg_advisory_lock(engine: Engine) -> Iterator[None]:
    # heavy: SQLAlchemy, off the SQLite fast path (which imports this module)
    from sqlalchemy import text

    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # no transaction left open
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_SCHEMA_LOCK_KEY})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_SCHEMA_LOCK_KEY})


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    path = os.path.abspath(os.path.expanduser(path))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    # heavy: Alembic, only for a database not at head
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def _upgrade_locked(engine: Engine, revision: str) -> None:
    # heavy: Alembic, only for a database not at head
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to `revision` under the schema lock (`jupyter orch database upgrade`)."""
    with schema_lock(engine):
        _upgrade_locked(engine, revision)
    _at_head.discard(_key(engine))


def ensure_schema(engine: Engine) -> None:
    """Upgrade to head unless the database already is there; once per engine per process."""
    key = _key(engine)
    if key in _at_head:
        return
    if current_revision(engine) != HEAD_REVISION:
        with schema_lock(engine):
            if current_revision(engine) != HEAD_REVISION:  # another starter may have done it
                _upgrade_locked(engine, "head")
    _at_head.add(key)


def forget(engine: Engine | None = None) -> None:
    """Check the schema again on next use: of `engine`, or of every engine (`dispose_all`)."""
    if engine is None:
        _at_head.clear()
    else:
        _at_head.discard(_key(engine))


def reset(engine: Engine) -> None:
    """Drop every table (ours and Alembic's) and upgrade again from nothing."""
    # heavy: SQLAlchemy and the models, off the SQLite fast path (which imports this module)
    from sqlalchemy import inspect, text

    from jupyter_orch.db.models import Base

    with schema_lock(engine):
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            if inspect(conn).has_table("alembic_version"):
                conn.execute(text("DROP TABLE alembic_version"))
        forget(engine)
        _upgrade_locked(engine, "head")
