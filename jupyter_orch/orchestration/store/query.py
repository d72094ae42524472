"""Shared query helpers: keyset pagination, filters on common fields, JSON tags containment."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, cast, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.states import _parse_dt

T = TypeVar("T")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return int(limit)


def check_choice(value: Any, choices: Sequence[str], field: str) -> None:
    """Invalid naming `field` unless `value` is one of `choices`; the message lists them, so every
    closed set of names the store takes (kinds, types, channels) is refused in the same words."""
    if value not in choices:
        raise Invalid(f"{field} must be one of {', '.join(choices)}", field=field)


def check_non_empty(value: Any, field: str, *, slash: bool = True) -> str:
    """`value` if it is a string with more than white space and, with `slash=False`, no '/' (a name
    that stands in a "flow/deployment" pair or a URL path); else Invalid naming `field`."""
    if not isinstance(value, str) or not value.strip() or (not slash and "/" in value):
        without = "" if slash else " without '/'"
        raise Invalid(f"{field} must be a non-empty string{without}", field=field)
    return value


def select_equal(model: Any, **values: Any) -> Select:
    """`select(model)` of the rows whose column equals each value given (a value that is None or
    empty filters nothing: a list's optional filters)."""
    stmt = select(model)
    for column, value in values.items():
        if value:
            stmt = stmt.where(getattr(model, column) == value)
    return stmt


def found(row: T | None, message: str, field: str | None = None) -> T:
    """`row`, or NotFound(message, field) when a read found none."""
    if row is None:
        raise NotFound(message, field=field)
    return row


def read_by_id(session: Session, model: Any, id: str, what: str) -> Any:
    """The `model` row with this id; NotFound ("no {what} with id ...") when there is none."""
    return found(session.get(model, id), f"no {what} with id {id}", "id")


def run_states(session: Session, model: Any, run_column: Any, run_id: str) -> list[Any]:
    """A run's rows of `model` (its states), oldest first."""
    stmt = select(model).where(run_column == run_id)
    return list(session.scalars(stmt.order_by(model.timestamp, model.id)))


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list):
            raise ValueError
        return values
    except Exception as exc:
        raise Invalid("cursor is not one this server issued", field="cursor") from exc


def paginate(
    session: Session,
    stmt: Select,
    model: Any,
    limit: int | None,
    cursor: str | None,
    order: str = "desc",
    key: str = "created",
) -> tuple[list[Any], str | None]:
    """One page of `stmt` in a stable order (`key`, then `id`), and the cursor of the next page."""
    limit = check_limit(limit)
    col, id_col = getattr(model, key), model.id
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != 2:
            raise Invalid("cursor is not one this server issued", field="cursor")
        value, last_id = values
        if key in ("created", "updated", "timestamp", "expected_start_time") and isinstance(value, str):
            value = parse_time(value, "cursor")
        if order == "desc":
            stmt = stmt.where(or_(col < value, and_(col == value, id_col < last_id)))
        else:
            stmt = stmt.where(or_(col > value, and_(col == value, id_col > last_id)))
    if order == "desc":
        stmt = stmt.order_by(col.desc(), id_col.desc())
    else:
        stmt = stmt.order_by(col.asc(), id_col.asc())
    rows = list(session.scalars(stmt.limit(limit + 1)))
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        nxt = encode_cursor([getattr(last, key), last.id])
    return rows, nxt


def parse_time(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        parsed = _parse_dt(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{field} must be an ISO 8601 timestamp, got {value!r}", field=field) from exc
    assert parsed is not None
    return parsed


def tags_contain(session: Session, column: Any, tags: Iterable[str]) -> Any:
    """A condition: the JSON list in `column` holds every one of `tags`."""
    tags = list(tags)
    if session.get_bind().dialect.name == "postgresql":
        return column.op("@>")(cast(literal(json.dumps(tags)), JSONB))
    conds = []
    for tag in tags:
        each = func.json_each(column).table_valued("value")
        conds.append(exists(select(1).select_from(each).where(each.c.value == tag)))
    return and_(*conds)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]
