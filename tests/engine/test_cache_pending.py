"""Reads inside a run see the run's own records still queued in the batch writer: a second call
with the same cache key in one flow run is Cached, and reading a task run just finished finds it."""

from __future__ import annotations

from jupyter_orch import flow, task
from jupyter_orch.client import get_client


def test_same_cache_key_twice_in_one_flow_run_is_a_hit(records):
    calls = []

    @task(cache_key_fn=lambda ctx, params: f"sq-{params['x']}")
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @flow
    def twice():
        first = square(4, return_state=True)
        second = square(4, return_state=True)
        future = square.submit(4)  # submitted: the same lookup on the runner's thread
        future.wait()  # its state is final only once it ran (a flow returning a pending state fails)
        return first, second, future.state

    first, second, submitted = twice()
    assert calls == [4]
    assert first.name == "Completed"
    assert second.name == "Cached" and second.result() == 16
    assert submitted.name == "Cached" and submitted.result() == 16
    stored = records.task_run(second.task_run_id)
    assert stored["state_name"] == "Cached" and stored["cache_key"] == "sq-4"


def test_expired_pending_entry_is_not_a_hit(records):
    from datetime import timedelta

    calls = []

    @task(cache_key_fn=lambda ctx, params: "k", cache_expiration=timedelta(seconds=-1))
    def stamp() -> int:
        calls.append(1)
        return len(calls)

    @flow
    def both():
        return stamp(return_state=True), stamp(return_state=True)

    a, b = both()
    assert a.name == b.name == "Completed" and len(calls) == 2


def test_reading_a_task_run_just_finished_sees_its_final_state(records):
    @task
    def one() -> int:
        return 1

    @flow
    def reader():
        state = one(return_state=True)
        return get_client().read_task_run(state.task_run_id)

    row = reader()
    assert row["state_type"] == "COMPLETED" and row["state"]["name"] == "Completed"
