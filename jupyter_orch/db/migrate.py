"""Schema migrations through Alembic, checked cheaply so a first flow call stays fast.

Alembic is imported only when the database is not already at `HEAD_REVISION`; a test keeps that
constant equal to the newest migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

HEAD_REVISION = "0010_config_resources"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def sqlite_revision(dbapi_conn: Any) -> str | None:
    """The revision of a SQLite database read over a plain `sqlite3` connection (no SQLAlchemy)."""
    try:
        row = dbapi_conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except Exception:  # no table yet: a new database
        return None
    return row[0] if row else None


def current_revision(engine: Engine) -> str | None:
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


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade to head unless the database already is there."""
    if current_revision(engine) == HEAD_REVISION:
        return
    upgrade(engine)


def reset(engine: Engine) -> None:
    """Drop every table (ours and Alembic's) and upgrade again from nothing."""
    from sqlalchemy import inspect, text

    from jupyter_orch.db.models import Base

    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        if inspect(conn).has_table("alembic_version"):
            conn.execute(text("DROP TABLE alembic_version"))
    from jupyter_orch.db.session import forget_upgrade

    forget_upgrade(str(engine.url))
    upgrade(engine)
