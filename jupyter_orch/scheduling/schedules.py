"""Cron and interval schedules.

Cron expressions are evaluated in the schedule's time zone (croniter on a zone-aware start, so a
"0 9 * * *" in Europe/Paris stays at 09:00 local across DST changes) and the times are converted to
UTC. Interval schedules step from an anchor date; whole-day intervals step in local wall time so
that "every day" keeps its local hour across DST, shorter ones step in absolute time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from jupyter_orch.errors import Invalid
from jupyter_orch.scheduling.describe import describe_cron, describe_interval
from jupyter_orch.settings import limits

UTC = timezone.utc
DAY = 86400.0
#: the longest interval accepted: about a century (longer ones overflow the calendar)
MAX_INTERVAL = 36525 * DAY


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"timezone {name!r} is not a known IANA time zone", field="timezone") from exc


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Schedule:
    """A source of UTC times; `times(start)` yields times >= start, in order, forever."""

    timezone: str | None

    def times(self, start: datetime) -> Iterator[datetime]:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def between(self, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
        """Times in [start, end), at most `limit` of them."""
        out: list[datetime] = []
        for t in self.times(start):
            if t >= end or len(out) >= limit:
                break
            out.append(t)
        return out

    def next_n(self, n: int, start: datetime | None = None) -> list[datetime]:
        out: list[datetime] = []
        for t in self.times(start or datetime.now(UTC)):
            if len(out) >= n:
                break
            out.append(t)
        return out


@dataclass(frozen=True)
class CronSchedule(Schedule):
    cron: str
    timezone: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.cron, str) or not croniter.is_valid(self.cron):
            raise Invalid(f"cron {self.cron!r} is not a valid cron expression", field="cron")
        if len(self.cron.split()) not in (5, 6):
            raise Invalid(f"cron {self.cron!r} must have 5 fields (or 6 with seconds)", field="cron")
        _zone(self.timezone)

    def times(self, start: datetime) -> Iterator[datetime]:
        zone = _zone(self.timezone)
        # croniter returns times strictly after its start: step back a microsecond to include `start`
        local = (_aware(start) - timedelta(microseconds=1)).astimezone(zone)
        it = croniter(self.cron, local)
        last: datetime | None = None
        while True:
            t = it.get_next(datetime).astimezone(UTC)
            if last is None or t > last:  # never repeat or go back across a DST change
                last = t
                yield t

    def describe(self) -> str:
        return describe_cron(self.cron, self.timezone)

    def to_dict(self) -> dict[str, Any]:
        return {"cron": self.cron, "timezone": self.timezone}


@dataclass(frozen=True)
class IntervalSchedule(Schedule):
    """Every `interval` from `anchor_date`. `interval` is a timedelta, as Prefect's; it may be
    given as a number of seconds, and its JSON form (`to_dict`) is a number of seconds."""

    interval: timedelta
    anchor_date: datetime | None = None
    timezone: str | None = None

    def __post_init__(self) -> None:
        given = self.interval
        seconds = given.total_seconds() if isinstance(given, timedelta) else given
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise Invalid(f"interval must be a positive number of seconds, got {given!r}", field="interval")
        if not math.isfinite(seconds) or seconds > MAX_INTERVAL:
            raise Invalid(
                f"interval must be at most {MAX_INTERVAL:.0f} seconds (a century)", field="interval"
            )
        if not isinstance(given, timedelta):
            object.__setattr__(self, "interval", timedelta(seconds=seconds))
        _zone(self.timezone)

    @property
    def seconds(self) -> float:
        return self.interval.total_seconds()

    @property
    def anchor(self) -> datetime:
        return _aware(self.anchor_date) if self.anchor_date else datetime(2020, 1, 1, tzinfo=UTC)

    def times(self, start: datetime) -> Iterator[datetime]:
        start = _aware(start)
        step = self.seconds
        if step % DAY == 0 and self.timezone:
            yield from self._local_days(start, int(step // DAY))
            return
        anchor = self.anchor
        k = max(0, -int(-(start - anchor).total_seconds() // step))  # ceil
        t = anchor + timedelta(seconds=k * step)
        while t < start:
            k += 1
            t = anchor + timedelta(seconds=k * step)
        while True:
            yield t
            k += 1
            t = anchor + timedelta(seconds=k * step)

    def _local_days(self, start: datetime, days: int) -> Iterator[datetime]:
        zone = _zone(self.timezone)
        anchor_local = self.anchor.astimezone(zone).replace(tzinfo=None)
        start_local = start.astimezone(zone).replace(tzinfo=None)
        k = max(0, (start_local - anchor_local).days // days - 1)
        while True:
            wall = anchor_local + timedelta(days=k * days)
            t = wall.replace(tzinfo=zone).astimezone(UTC)
            if t >= start:
                yield t
            k += 1

    def describe(self) -> str:
        return describe_interval(self.seconds, self.timezone)

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval": self.seconds,
            "anchor_date": self.anchor.isoformat(),
            "timezone": self.timezone,
        }


def parse_schedule(spec: Mapping[str, Any] | Schedule) -> Schedule:
    """A schedule from its JSON form; Invalid (422) naming the field for anything wrong."""
    if isinstance(spec, Schedule):
        return spec
    if not isinstance(spec, Mapping):
        raise Invalid("schedule must be an object with 'cron' or 'interval'", field="schedule")
    tz = spec.get("timezone")
    if tz is not None and not isinstance(tz, str):
        raise Invalid("timezone must be a string", field="timezone")
    if spec.get("cron") is not None and spec.get("interval") is not None:
        raise Invalid("a schedule has either 'cron' or 'interval', not both", field="schedule")
    if spec.get("cron") is not None:
        return CronSchedule(str(spec["cron"]).strip(), tz)
    if spec.get("interval") is not None:
        interval = spec["interval"]
        if isinstance(interval, str):
            try:
                interval = float(interval)
            except ValueError:
                raise Invalid(
                    f"interval must be a number of seconds, got {interval!r}", field="interval"
                ) from None
        anchor = spec.get("anchor_date")
        if isinstance(anchor, str):
            try:
                anchor = datetime.fromisoformat(anchor.replace("Z", "+00:00"))
            except ValueError:
                raise Invalid(f"anchor_date {anchor!r} is not ISO 8601", field="anchor_date") from None
        return IntervalSchedule(interval, anchor, tz)
    raise Invalid("schedule must have 'cron' or 'interval'", field="schedule")


def check_input(schedule: Schedule) -> Schedule:
    """A schedule given as input (a deployment's, a preview's) must be able to run: an interval
    finite and no shorter than the `min_schedule_interval` limit, a cron that matches some date
    ("0 0 31 2 *" never does). Schedules already stored are not judged again."""
    if isinstance(schedule, IntervalSchedule):
        interval = schedule.seconds  # finite and at most a century: IntervalSchedule checked that
        minimum = limits().min_schedule_interval
        if interval < minimum:
            raise Invalid(
                f"interval {interval:g}s is shorter than the {minimum:g}s allowed (the min_schedule_interval "
                "limit)",
                field="interval",
            )
    elif isinstance(schedule, CronSchedule):
        try:
            next(schedule.times(datetime.now(UTC)))
        except (CroniterError, OverflowError, ValueError):
            raise Invalid(
                f"cron {schedule.cron!r} never fires: {_never_why(schedule.cron)}", field="cron"
            ) from None
    return schedule


def _never_why(cron: str) -> str:
    fields = cron.split()
    if fields[2] != "*" and fields[3] != "*":
        return f"day {fields[2]} of month {fields[3]} is not a date"
    return "no date matches it"


def preview(spec: Mapping[str, Any], count: int = 5, start: datetime | None = None) -> dict[str, Any]:
    """What POST /schedules/preview answers: a description in words and the next `count` times."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        raise Invalid("count must be an integer between 1 and 100", field="count")
    schedule = check_input(parse_schedule(spec))
    return {
        "description": schedule.describe(),
        "next_runs": [t.isoformat() for t in schedule.next_n(count, start)],
    }
