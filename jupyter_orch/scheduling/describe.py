"""Schedules in words ("every 5 minutes", "at 09:00 on weekdays (Europe/Paris)") for the UI and CLI.

Covers the shapes people write; anything else is described as the expression itself.
"""

from __future__ import annotations

from collections.abc import Callable

_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_DAY_ALIASES = {d[:3].lower(): i for i, d in enumerate(_DAYS)}
_MONTHS = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _zone_suffix(timezone: str | None) -> str:
    return f" ({timezone})" if timezone and timezone.upper() != "UTC" else ""


def _unit(n: float, word: str) -> str:
    n = int(n) if float(n).is_integer() else n
    return f"every {word}" if n == 1 else f"every {n} {word}s"


def describe_interval(seconds: float, timezone: str | None = None) -> str:
    for size, word in ((604800, "week"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            return _unit(seconds / size, word) + _zone_suffix(timezone)
    return _unit(seconds, "second") + _zone_suffix(timezone)


def _days_of_week(field: str) -> str | None:
    if field in ("*", "?"):
        return None
    if field.lower() in ("1-5", "mon-fri"):
        return "on weekdays"
    if field.lower() in ("0,6", "6,0", "sat,sun", "sun,sat"):
        return "on weekends"
    names = []
    for part in field.split(","):
        key = part.strip().lower()
        if key.isdigit():
            names.append(_DAYS[int(key) % 7])
        elif key in _DAY_ALIASES:
            names.append(_DAYS[_DAY_ALIASES[key]])
        else:
            return f"on days of the week {field}"
    return "on " + ", ".join(names)


def _day_month(dom: str, month: str) -> list[str]:
    parts = []
    if dom not in ("*", "?"):
        parts.append(f"on day {dom} of the month")
    if month != "*":
        if month.isdigit() and 1 <= int(month) <= 12:
            parts.append(f"in {_MONTHS[int(month)]}")
        else:
            parts.append(f"in months {month}")
    return parts


#: (minute, hour) shapes in words: the first whose test passes describes the time of day
_TIMES_OF_DAY: tuple[tuple[Callable[[str, str], bool], Callable[[str, str], str]], ...] = (
    (lambda m, h: m == "*" and h == "*", lambda m, h: "every minute"),
    (lambda m, h: m.startswith("*/") and h == "*", lambda m, h: _unit(int(m[2:]), "minute")),
    (
        lambda m, h: m.isdigit() and h == "*",
        lambda m, h: "every hour" if m == "0" else f"every hour at minute {int(m)}",
    ),
    (
        lambda m, h: m.isdigit() and h.startswith("*/"),
        lambda m, h: _unit(int(h[2:]), "hour") + (f" at minute {int(m)}" if m != "0" else ""),
    ),
    (lambda m, h: m.isdigit() and h.isdigit(), lambda m, h: f"at {int(h):02d}:{int(m):02d}"),
    (
        lambda m, h: m.isdigit() and all(x.isdigit() for x in h.split(",")),
        lambda m, h: "at " + ", ".join(f"{int(x):02d}:{int(m):02d}" for x in h.split(",")),
    ),
)


def describe_cron(expr: str, timezone: str | None = None) -> str:
    fields = expr.split()
    if len(fields) != 5:
        return f"cron '{expr}'" + _zone_suffix(timezone)
    minute, hour, dom, month, dow = fields
    base = next((say(minute, hour) for test, say in _TIMES_OF_DAY if test(minute, hour)), None)
    if base is None:
        return f"cron '{expr}'" + _zone_suffix(timezone)
    extra = _day_month(dom, month)
    days = _days_of_week(dow)
    if days:
        extra.append(days)
    return " ".join([base, *extra]) + _zone_suffix(timezone)
