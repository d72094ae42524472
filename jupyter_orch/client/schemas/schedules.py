"""Prefect's `prefect.client.schemas.schedules`: the cron and interval schedule objects (those of
`jupyter_orch.scheduling`); `RRuleSchedule` is refused by name, as rrule schedules are not provided."""

from __future__ import annotations

from typing import Any

from jupyter_orch.scheduling import CronSchedule, IntervalSchedule, Schedule


class RRuleSchedule(Schedule):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ValueError("rrule schedules are not provided: use a CronSchedule or an IntervalSchedule")


__all__ = ["CronSchedule", "IntervalSchedule", "RRuleSchedule"]
