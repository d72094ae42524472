"""Dialect-aware INSERT … ON CONFLICT statements (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session


def _insert(session: Session, model: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        # per dialect: only the database's own dialect is loaded
        from sqlalchemy.dialects.postgresql import insert
    else:
        # per dialect: only the database's own dialect is loaded
        from sqlalchemy.dialects.sqlite import insert
    return insert(getattr(model, "__table__", model))  # Core insert: plain executemany, rowcount


def insert_ignore(session: Session, model: Any, conflict_columns: Sequence[str]) -> Any:
    """INSERT that silently skips rows whose `conflict_columns` already exist."""
    return _insert(session, model).on_conflict_do_nothing(index_elements=list(conflict_columns))


def upsert(
    session: Session, model: Any, conflict_columns: Sequence[str], update_columns: Sequence[str]
) -> Any:
    """INSERT that updates `update_columns` of a row that already exists."""
    stmt = _insert(session, model)
    return stmt.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={c: getattr(stmt.excluded, c) for c in update_columns},
    )
