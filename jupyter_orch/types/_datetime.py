"""Prefect's `prefect.types._datetime` helpers on the standard library's timezone-aware
`datetime` (Prefect 3's own `DateTime` is a `datetime` too on current Pythons): `now()`,
`from_timestamp()`, `parse_datetime()`, so code and tests written against them run here."""

from __future__ import annotations

import datetime as _dt
from zoneinfo import ZoneInfo

DateTime = _dt.datetime
Date = _dt.date


def _zone(tz: str | _dt.tzinfo) -> _dt.tzinfo:
    if isinstance(tz, _dt.tzinfo):
        return tz
    return _dt.timezone.utc if tz.upper() == "UTC" else ZoneInfo(tz)


def now(tz: str | _dt.tzinfo = "UTC") -> _dt.datetime:
    """The current time, aware, in `tz` (UTC by default)."""
    return _dt.datetime.now(_zone(tz))


def from_timestamp(ts: float, tz: str | _dt.tzinfo = "UTC") -> _dt.datetime:
    """The aware datetime of a POSIX timestamp, in `tz` (UTC by default)."""
    return _dt.datetime.fromtimestamp(ts, _zone(tz))


def parse_datetime(value: str) -> _dt.datetime:
    """An ISO 8601 string as an aware datetime (UTC when it names no offset)."""
    parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)


__all__ = ["Date", "DateTime", "from_timestamp", "now", "parse_datetime"]
