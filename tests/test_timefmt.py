"""Times as people read them (`%orch runs`, the CLI)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from jupyter_orch.timefmt import duration, human_time, parse_time, relative

NOW = datetime(2026, 12, 5, 12, 0, 0, tzinfo=timezone.utc)


def test_relative_uses_the_largest_whole_unit_both_ways() -> None:
    assert relative(NOW - timedelta(milliseconds=300), NOW) == "just now"
    assert relative(NOW - timedelta(seconds=12), NOW) == "12 s ago"
    assert relative((NOW - timedelta(minutes=3, seconds=59)).isoformat(), NOW) == "3 min ago"
    assert relative(NOW + timedelta(hours=2, minutes=1), NOW) == "in 2 h"
    assert relative(NOW - timedelta(days=4), NOW) == "4 d ago"
    assert relative(None, NOW) == ""


def test_human_time_shows_the_date_only_when_it_is_not_today() -> None:
    today = human_time("2026-12-05T11:58:00Z", NOW)
    assert today.endswith("(2 min ago)") and len(today.split(" ")[0]) == 8  # HH:MM:SS
    old = human_time("2026-11-30T11:00:00+00:00", NOW)
    assert old.startswith("2026-11-") and old.endswith("(5 d ago)")


def test_naive_times_are_utc_and_durations_read_short() -> None:
    assert parse_time("2026-12-05T12:00:00") == NOW
    assert [duration(s) for s in (1.25, 125, 3 * 3600 + 7 * 60)] == ["1.2s", "2m05s", "3h07m"]
