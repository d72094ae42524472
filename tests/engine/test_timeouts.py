"""Timeouts end runs as TimedOut promptly, and the body is really abandoned (and interrupted)."""

from __future__ import annotations

import asyncio
import time

import pytest

from jupyter_orch import flow, task

LIMIT = 0.3
#: the bodies below take 4-5 s: ending well before that proves the timeout, and 2.5 s of slack
#: holds on two cores shared with other test runs (a bound of 0.6 s did not)
SLACK = 2.5


def _slow_sync(progress: list[int]) -> None:
    for _ in range(200):  # 4 s in small steps, so the injected TimeoutError lands quickly
        time.sleep(0.02)
        progress.append(1)
    progress.append(-1)  # never reached when interrupted


def test_sync_task_timeout(records):
    progress: list[int] = []

    @task(timeout_seconds=LIMIT)
    def slow():
        _slow_sync(progress)

    @flow
    def timing_out():
        return slow(return_state=True)

    start = time.monotonic()
    state = timing_out(return_state=True).result(raise_on_failure=False)
    elapsed = time.monotonic() - start
    assert state.name == "TimedOut" and state.is_failed()
    assert LIMIT <= elapsed < LIMIT + SLACK
    with pytest.raises(TimeoutError):
        state.result()
    tr = records.task_run(state.task_run_id)
    assert tr["state_name"] == "TimedOut" and tr["state_type"] == "FAILED"
    assert tr["state_message"] == "Task run exceeded timeout of 0.3 second(s)"  # Prefect's words
    seen = len(progress)
    time.sleep(0.3)  # a window for the body to show progress in: it must show none
    assert len(progress) <= seen + 1 and -1 not in progress  # the body was interrupted


def test_async_task_timeout(records):
    @task(timeout_seconds=LIMIT)
    async def slow():
        await asyncio.sleep(5)

    @flow
    async def timing_out_async():
        return await slow(return_state=True)

    start = time.monotonic()
    state = asyncio.run(timing_out_async(return_state=True)).result(raise_on_failure=False)
    assert time.monotonic() - start < LIMIT + SLACK
    assert state.name == "TimedOut"
    assert records.task_run(state.task_run_id)["state_name"] == "TimedOut"


def test_timed_out_task_is_retried(records):
    attempts = []

    @task(timeout_seconds=0.2, retries=1)
    def sometimes_slow():
        attempts.append(1)
        if len(attempts) == 1:
            _slow_sync([])
        return "done"

    @flow
    def retry_timeout():
        return sometimes_slow(return_state=True)

    state = retry_timeout()
    assert state.result() == "done"
    assert records.task_run(state.task_run_id)["run_count"] == 2


def test_sync_flow_timeout(records):
    progress: list[int] = []

    @flow(timeout_seconds=LIMIT, retries=2)
    def slow_flow():
        _slow_sync(progress)

    start = time.monotonic()
    state = slow_flow(return_state=True)
    assert time.monotonic() - start < LIMIT + SLACK
    assert state.name == "TimedOut"
    run = records.only_flow_run("slow-flow")
    assert run["state_name"] == "TimedOut" and run["state_type"] == "FAILED"
    assert run["run_count"] == 1  # a timed-out flow is not retried
    with pytest.raises(TimeoutError):
        slow_flow()


def test_async_flow_timeout(records):
    @flow(timeout_seconds=LIMIT)
    async def slow_async_flow():
        await asyncio.sleep(5)

    start = time.monotonic()
    state = asyncio.run(slow_async_flow(return_state=True))
    assert time.monotonic() - start < LIMIT + SLACK
    assert state.name == "TimedOut"
    assert records.only_flow_run("slow-async-flow")["state_name"] == "TimedOut"


def test_flow_timeout_state_says_exceeded_and_result_raises_timed_out(records):
    """Prefect's wording: the TimedOut state says the run "exceeded timeout of N second(s)"; the
    TimeoutError its result raises says it "timed out after N second(s)"."""

    @flow(timeout_seconds=LIMIT)
    def slow_flow():
        _slow_sync([])

    state = slow_flow(return_state=True)
    assert state.name == "TimedOut" and state.is_failed()
    assert state.message == "Flow run exceeded timeout of 0.3 second(s)"
    with pytest.raises(TimeoutError, match=r"Flow run timed out after 0.3 second\(s\)"):
        state.result()
    fr = records.flow_run(str(state.state_details.flow_run_id))
    assert fr["state_message"] == "Flow run exceeded timeout of 0.3 second(s)"
