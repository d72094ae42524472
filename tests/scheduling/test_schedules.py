"""Schedule maths: cron across DST changes agrees with croniter in the zone, intervals, words."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.scheduling import CronSchedule, IntervalSchedule, parse_schedule, preview

UTC = timezone.utc


def _croniter_utc(expr: str, zone: str, start: datetime, n: int) -> list[datetime]:
    it = croniter(expr, (start - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)))
    return [it.get_next(datetime).astimezone(UTC) for _ in range(n)]


@pytest.mark.parametrize(
    "zone,start",
    [
        ("America/New_York", datetime(2024, 3, 8, tzinfo=UTC)),  # spring forward 10 March
        ("America/New_York", datetime(2024, 11, 1, tzinfo=UTC)),  # fall back 3 November
        ("Europe/Paris", datetime(2024, 3, 29, tzinfo=UTC)),  # 31 March
        ("Europe/Paris", datetime(2024, 10, 25, tzinfo=UTC)),  # 27 October
    ],
)
@pytest.mark.parametrize("expr", ["0 9 * * *", "30 2 * * *", "*/30 * * * *", "0 * * * *", "15 1 * * 1-5"])
def test_cron_across_dst_matches_croniter_in_zone(expr: str, zone: str, start: datetime) -> None:
    got = CronSchedule(expr, zone).next_n(120, start)
    assert got == _croniter_utc(expr, zone, start, 120)
    assert got == sorted(set(got))  # strictly increasing: no repeat across the change


def test_daily_cron_keeps_local_wall_time_across_dst() -> None:
    times = CronSchedule("0 9 * * *", "America/New_York").next_n(4, datetime(2024, 3, 8, tzinfo=UTC))
    local = [t.astimezone(ZoneInfo("America/New_York")) for t in times]
    assert [t.hour for t in local] == [9, 9, 9, 9]
    assert [t.hour for t in times] == [14, 14, 13, 13]  # EST then EDT


def test_interval_with_anchor_and_daily_local_interval() -> None:
    anchor = datetime(2024, 1, 1, 0, 0, 7, tzinfo=UTC)
    got = IntervalSchedule(60, anchor).next_n(3, datetime(2024, 1, 1, 0, 5, tzinfo=UTC))
    assert got == [anchor + timedelta(minutes=k) for k in (5, 6, 7)]
    daily = IntervalSchedule(86400, datetime(2024, 3, 8, 9, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")
    hours = [
        t.astimezone(ZoneInfo("Europe/Paris")).hour
        for t in daily.next_n(5, datetime(2024, 3, 29, tzinfo=UTC))
    ]
    assert hours == [9] * 5


def test_descriptions_and_preview() -> None:
    assert preview({"interval": 300}, 2)["description"] == "every 5 minutes"
    assert CronSchedule("0 9 * * 1-5", "Europe/Paris").describe() == "at 09:00 on weekdays (Europe/Paris)"
    assert CronSchedule("*/15 * * * *").describe() == "every 15 minutes"
    out = preview({"cron": "0 0 1 * *", "timezone": "UTC"}, 3, datetime(2024, 1, 15, tzinfo=UTC))
    assert out["next_runs"] == [
        "2024-02-01T00:00:00+00:00",
        "2024-03-01T00:00:00+00:00",
        "2024-04-01T00:00:00+00:00",
    ]


@pytest.mark.parametrize(
    "spec,field",
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "not a cron"}, "cron"),
        ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ({"interval": -5}, "interval"),
        ({"interval": "soon"}, "interval"),
        ({}, "schedule"),
    ],
)
def test_bad_schedules_are_invalid_naming_the_field(spec: dict, field: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_schedule(spec)
    assert err.value.field == field and err.value.status == 422


def test_interval_is_a_timedelta_given_as_seconds_or_timedelta():
    """As Prefect's IntervalSchedule: `.interval` is a timedelta, whichever form it was given in;
    its JSON form stays a number of seconds."""
    from_seconds = IntervalSchedule(3600)
    assert from_seconds.interval == timedelta(seconds=3600)
    assert from_seconds == IntervalSchedule(timedelta(hours=1))
    assert from_seconds.to_dict()["interval"] == 3600.0
    assert parse_schedule({"interval": 90}).interval == timedelta(seconds=90)
    assert parse_schedule({"interval": timedelta(minutes=2)}).interval == timedelta(minutes=2)
    for bad in (0, -1, timedelta(0), True, "x"):
        with pytest.raises(Invalid, match="interval must be a positive number of seconds"):
            IntervalSchedule(bad)
    with pytest.raises(Invalid, match="at most"):
        IntervalSchedule(float("inf"))
