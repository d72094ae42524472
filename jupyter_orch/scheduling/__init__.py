"""Schedule maths: cron (in a time zone) and interval schedules, their next times and descriptions."""

from jupyter_orch.scheduling.schedules import (
    CronSchedule,
    IntervalSchedule,
    Schedule,
    parse_schedule,
    preview,
)

__all__ = ["CronSchedule", "IntervalSchedule", "Schedule", "parse_schedule", "preview"]
