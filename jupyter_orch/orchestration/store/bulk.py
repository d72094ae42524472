"""Fast executemany for the engine's batches through the session's raw DB-API connection.

The SQL and the value conversion live in `sqlwrite` (shared with the SQLAlchemy-free embedded
path); this module only hands them the session's connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from jupyter_orch.orchestration import sqlwrite


def executemany_of(session: Session) -> tuple[Any, sqlwrite.Dialect] | None:
    """(executemany(sql, params) on the session's connection, its dialect), or None for a
    database without a plain-SQL path."""
    conn = session.connection()
    name = conn.dialect.name
    if name not in ("sqlite", "postgresql"):
        return None
    return (lambda sql, params: conn.exec_driver_sql(sql, params)), sqlwrite.dialect(name)


def bulk_insert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    conflict: str,
    update_columns: Sequence[str] | None = None,
) -> bool:
    """INSERT `rows` (ON CONFLICT (`conflict`) DO UPDATE `update_columns`, or DO NOTHING).

    Returns False, writing nothing, when the rows do not all carry exactly the table's columns
    (the caller then uses the general SQLAlchemy path, which fills in defaults).
    """
    target = executemany_of(session)
    if target is None or table.name not in sqlwrite.TABLES:
        return False
    executemany, d = target
    return sqlwrite.insert_rows(executemany, d, table.name, rows, conflict, update_columns)
