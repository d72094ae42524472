"""Times as people read them, shared by the CLI and the notebook views: local clock times,
durations and "3 min ago" / "in 2 h" (the API speaks ISO 8601 in UTC)."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_time(value: str | datetime | None) -> datetime | None:
    """An aware datetime from an ISO string (a naive one is UTC), or None."""
    if not value:
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def short_time(value: str | datetime | None) -> str:
    """A timestamp in local time, to the second."""
    dt = parse_time(value)
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def duration(seconds: float | None) -> str:
    """1.5s, 2m05s, 3h07m."""
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


def relative(value: str | datetime | None, now: datetime | None = None) -> str:
    """'just now', '12 s ago', '3 min ago', 'in 2 h', '4 d ago' (the largest whole unit)."""
    dt = parse_time(value)
    if dt is None:
        return ""
    delta = ((now or datetime.now(timezone.utc)) - dt).total_seconds()
    span = abs(delta)
    if span < 1:
        return "just now"
    size, unit = next((s, u) for s, u in _UNITS if span >= s)
    amount = f"{int(span // size)} {unit}"
    return f"{amount} ago" if delta > 0 else f"in {amount}"


def human_time(value: str | datetime | None, now: datetime | None = None) -> str:
    """Local clock time plus how long ago: '14:03:10 (2 min ago)'; the date is shown when it is
    not today."""
    dt = parse_time(value)
    if dt is None:
        return ""
    local = dt.astimezone()
    today = (now or datetime.now(timezone.utc)).astimezone().date()
    clock = local.strftime("%H:%M:%S") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
    return f"{clock} ({relative(dt, now)})"
