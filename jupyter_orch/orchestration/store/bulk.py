"""Fast executemany for the engine's batches: one compiled INSERT per table per batch, values
converted by one small function per column instead of SQLAlchemy's per-row machinery.

Used only when every row carries every column (what the engine sends); values are stored
exactly as SQLAlchemy would store them (same SQLite timestamp text, JSON `null` for None), so
rows written either way read back the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Timestamp

_UTC = timezone.utc


def _parse(value: str) -> datetime:
    from jupyter_orch.states import _parse_dt

    parsed = _parse_dt(value)
    assert parsed is not None
    return parsed


def _sqlite_ts(value: Any) -> Any:
    if value is None:
        return None
    if value.__class__ is datetime and value.tzinfo is _UTC:  # what the engine sends: the fast path
        text = value.isoformat(" ")  # "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00"
        return text[:26] if len(text) == 32 else text[:19] + ".000000"
    if isinstance(value, str):
        value = _parse(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    elif value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    # SQLAlchemy's SQLite DATETIME text (always with microseconds), so comparisons in SQL hold
    text = value.replace(tzinfo=None).isoformat(" ")
    return text if len(text) == 26 else text + ".000000"


def _json_text(value: Any) -> str:
    if value is None:
        return "null"
    if not value and type(value) in (dict, list):
        return "{}" if type(value) is dict else "[]"
    return json.dumps(value)


def _pg_ts(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = _parse(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=_UTC)


def _converters(table: Table, columns: Sequence[str], dialect: str) -> list[Callable[[Any], Any] | None]:
    out: list[Callable[[Any], Any] | None] = []
    if dialect == "postgresql":
        from psycopg.types.json import Jsonb

        json_conv: Callable[[Any], Any] = Jsonb
        ts_conv = _pg_ts
    else:
        json_conv = _json_text
        ts_conv = _sqlite_ts
    for name in columns:
        col_type = table.c[name].type
        if isinstance(col_type, Timestamp):
            out.append(ts_conv)
        elif isinstance(col_type, JSON) or getattr(col_type, "_variant_mapping", None):
            out.append(json_conv)
        else:
            out.append(None)
    return out


_SQL_CACHE: dict[tuple[str, str, tuple[str, ...], tuple[str, ...] | None], str] = {}


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
    columns = tuple(c.key for c in table.columns)
    full = set(columns)
    if not rows or any(len(r) != len(columns) or r.keys() != full for r in rows):
        return False
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return False
    key = (dialect, table.name, columns, tuple(update_columns) if update_columns is not None else None)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        mark = "?" if dialect == "sqlite" else "%s"
        action = (
            "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update_columns)
            if update_columns
            else "DO NOTHING"
        )
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
            f"ON CONFLICT ({conflict}) {action}"
        )
        _SQL_CACHE[key] = sql
    convs = list(zip(columns, _converters(table, columns, dialect), strict=True))
    params = [tuple(conv(row[c]) if conv is not None else row[c] for c, conv in convs) for row in rows]
    conn.exec_driver_sql(sql, params)
    return True
