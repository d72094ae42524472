"""Task and flow retries: run counts, and the delays actually observed between attempts."""

from __future__ import annotations

from datetime import datetime

import pytest

from jupyter_orch import exponential_backoff, flow, task
from jupyter_orch.states import _parse_dt


def _flaky(failures: int, **options):
    calls = []

    @task(**options)
    def flaky():
        calls.append(datetime.now())
        if len(calls) <= failures:
            raise RuntimeError(f"failure {len(calls)}")
        return len(calls)

    return flaky, calls


def _retry_delays(records, task_run_id):
    """(scheduled delay, observed delay) of each retry, from the recorded state history."""
    states = records.task_run_states(task_run_id)
    out = []
    for i, s in enumerate(states):
        if s["name"] == "AwaitingRetry":
            entered = _parse_dt(s["timestamp"])
            scheduled = _parse_dt(s["data"]["scheduled_time"])
            retrying = states[i + 1]
            assert retrying["name"] == "Retrying"
            out.append(
                (
                    (scheduled - entered).total_seconds(),
                    (_parse_dt(retrying["timestamp"]) - entered).total_seconds(),
                )
            )
    return out


def _run(records, flaky):
    @flow
    def retry_flow():
        return flaky(return_state=True)

    # a returned failed task state fails the flow (Prefect's rule); it is the flow state's result
    state = retry_flow(return_state=True).result(raise_on_failure=False)
    return state, records.task_run(state.task_run_id)


def test_retries_fixed_delay(records):
    flaky, calls = _flaky(2, retries=2, retry_delay_seconds=0.05)
    state, tr = _run(records, flaky)
    assert state.is_completed() and state.result() == 3
    assert tr["state_type"] == "COMPLETED" and tr["run_count"] == 3 and len(calls) == 3
    names = [s["name"] for s in records.task_run_states(tr["id"])]
    assert names == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]
    delays = _retry_delays(records, tr["id"])
    assert [round(d, 3) for d, _ in delays] == [0.05, 0.05]
    for planned, observed in delays:
        assert planned - 0.005 <= observed <= planned + 0.1
    assert (calls[1] - calls[0]).total_seconds() >= 0.045


def test_retries_exhausted_end_failed(records):
    flaky, calls = _flaky(5, retries=1)
    state, tr = _run(records, flaky)
    assert state.is_failed() and tr["state_type"] == "FAILED" and tr["run_count"] == 2 and len(calls) == 2
    with pytest.raises(RuntimeError, match="failure 2"):
        state.result()


def test_retries_list_of_delays(records):
    flaky, _ = _flaky(2, retries=2, retry_delay_seconds=[0.02, 0.08])
    _, tr = _run(records, flaky)
    delays = _retry_delays(records, tr["id"])
    assert [round(d, 3) for d, _ in delays] == [0.02, 0.08]
    assert all(p - 0.005 <= o <= p + 0.1 for p, o in delays)


def test_retries_exponential_backoff(records):
    assert exponential_backoff(10)(3) == [10, 20, 40]
    # as Prefect's, the task keeps the list the callable gives for its retries
    backing_off = task(retries=4, retry_delay_seconds=exponential_backoff(backoff_factor=2))(abs)
    assert backing_off.retry_delay_seconds == [2, 4, 8, 16]
    flaky, _ = _flaky(3, retries=3, retry_delay_seconds=exponential_backoff(0.02))
    _, tr = _run(records, flaky)
    assert tr["run_count"] == 4
    delays = _retry_delays(records, tr["id"])
    assert [round(d, 3) for d, _ in delays] == [0.02, 0.04, 0.08]
    assert all(p - 0.005 <= o <= p + 0.1 for p, o in delays)


def test_retry_jitter_stays_within_bounds(records):
    flaky, _ = _flaky(4, retries=4, retry_delay_seconds=0.05, retry_jitter_factor=0.5)
    _, tr = _run(records, flaky)
    planned = [d for d, _ in _retry_delays(records, tr["id"])]
    assert len(planned) == 4
    assert all(0.025 - 1e-6 <= d <= 0.075 + 1e-6 for d in planned), planned
    assert len({round(d, 6) for d in planned}) > 1  # jittered, not constant


def test_flow_retries(records):
    attempts = []

    @task
    def step():
        return "ok"

    @flow(retries=2, retry_delay_seconds=0.05)
    def flaky_flow():
        attempts.append(1)
        step()
        if len(attempts) < 2:
            raise RuntimeError("first attempt fails")
        return len(attempts)

    assert flaky_flow() == 2
    run = records.only_flow_run("flaky-flow")
    assert run["state_type"] == "COMPLETED" and run["run_count"] == 2
    names = [s["name"] for s in records.flow_run_states(run["id"])]
    assert names == ["Pending", "Running", "AwaitingRetry", "Pending", "Retrying", "Completed"]
    assert len(records.task_runs(run["id"])) == 2


def test_a_retried_parent_does_not_run_a_completed_subflow_again(records):
    """Prefect's rule: the same subflow call (same keys) in a retry of its parent answers the
    earlier attempt's completed run; the stand-in task run stays the one of that call."""
    runs = {"parent": 0, "child": 0}

    @flow
    def child():
        runs["child"] += 1
        return "hello"

    @flow(retries=1)
    def parent():
        runs["parent"] += 1
        value = child()
        if runs["parent"] == 1:
            raise ValueError("after the child")
        return value

    state = parent(return_state=True)
    assert state.result() == "hello" and runs == {"parent": 2, "child": 1}
    stand_ins = records.task_runs(str(state.state_details.flow_run_id))
    assert len(stand_ins) == 1 and stand_ins[0]["state_type"] == "COMPLETED"
    assert len(records.flow_runs(flow_name="child")) == 1


def test_a_retried_parent_runs_a_failed_subflow_again_under_the_same_stand_in(records):
    """A call that ended otherwise runs again: a new subflow run (the earlier one stays Failed)
    for the same stand-in task run, which goes back through Pending to the new run's end."""
    runs = {"parent": 0, "child": 0}

    @flow
    def flaky_child():
        runs["child"] += 1
        if runs["parent"] == 1:
            raise ValueError("first attempt")
        return "hello"

    @flow(retries=1)
    def parent():
        runs["parent"] += 1
        return flaky_child()

    state = parent(return_state=True)
    assert state.result() == "hello" and runs == {"parent": 2, "child": 2}
    stand_ins = records.task_runs(str(state.state_details.flow_run_id))
    assert [r["state_type"] for r in stand_ins] == ["COMPLETED"]
    children = sorted(records.flow_runs(flow_name="flaky-child"), key=lambda r: r["created"])
    assert [c["state_type"] for c in children] == ["FAILED", "COMPLETED"]
    assert {c["parent_task_run_id"] for c in children} == {stand_ins[0]["id"]}


def test_a_subflow_of_a_parent_without_retries_is_not_remembered(records):
    @flow
    def leaf(i):
        return i

    @flow
    def fan():
        return [leaf(i) for i in range(3)]

    assert fan() == [0, 1, 2]
    assert len(records.flow_runs(flow_name="leaf")) == 3
