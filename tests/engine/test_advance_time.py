"""The testing plugin's `advance_time` (Prefect's fixture of that name): the process's clock jumps
when the test says, so a cache entry expires without the test sleeping out its expiration."""

from __future__ import annotations

import uuid
from datetime import timedelta

from jupyter_orch import flow, task
from jupyter_orch.types import _datetime


def test_a_cache_entry_expires_when_the_clock_is_advanced_past_it(advance_time):
    key = f"advance-time-{uuid.uuid4()}"
    calls: list[int] = []

    @task(cache_key_fn=lambda *args, **kwargs: key, cache_expiration=timedelta(hours=1))
    def counted() -> int:
        calls.append(1)
        return len(calls)

    @flow
    def run_it() -> int:
        return counted()

    assert run_it() == 1
    assert run_it() == 1  # cached: an hour has not passed
    advance_time(timedelta(hours=2))
    assert run_it() == 2  # expired: the body ran again
    assert len(calls) == 2


def test_the_clock_moves_on_with_each_reading_and_jumps_when_advanced(advance_time):
    first = _datetime.now()
    second = _datetime.now()
    assert second > first
    jumped = advance_time(timedelta(days=1))
    assert _datetime.now() > jumped >= first + timedelta(days=1)
