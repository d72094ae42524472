"""Prefect's `prefect.schedules`: `Cron(...)` and `Interval(...)` make the schedules deployments
take (`schedules=[Cron("0 6 * * *", timezone="Europe/Paris")]`); `RRule` is refused by name,
as rrule schedules are not provided."""

from __future__ import annotations

from datetime import datetime, timedelta

from jupyter_orch.scheduling import CronSchedule, IntervalSchedule, Schedule


def Cron(cron: str, timezone: str | None = None, day_or: bool = True) -> CronSchedule:  # noqa: N802
    """A cron schedule (day-of-month and day-of-week OR-ed, as cron does)."""
    if not day_or:
        raise ValueError("day_or=False is not supported: day-of-month and day-of-week are OR-ed")
    return CronSchedule(cron=cron, timezone=timezone)


def Interval(  # noqa: N802
    interval: float | timedelta, anchor_date: datetime | None = None, timezone: str | None = None
) -> IntervalSchedule:
    """Every `interval` (seconds or a timedelta) from `anchor_date`."""
    return IntervalSchedule(interval=interval, anchor_date=anchor_date, timezone=timezone)  # type: ignore[arg-type]


def RRule(rrule: str, timezone: str | None = None) -> Schedule:  # noqa: N802
    raise ValueError("rrule schedules are not provided: use Cron(...) or Interval(...)")


__all__ = ["Cron", "Interval", "RRule", "Schedule"]
