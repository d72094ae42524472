"""A run whose upstream run did not complete never runs its body: it stays Pending, named
NotReady, with the upstream run in its message (Prefect's), for tasks and subflows alike, waited
on (`wait_for`) or fed with the upstream's data; asking for its result raises UnfinishedRun."""

from __future__ import annotations

import pytest

from jupyter_orch import flow, task
from jupyter_orch.exceptions import UnfinishedRun
from jupyter_orch.utilities.annotations import allow_failure


@task
def fails():
    raise ValueError("upstream broke")


def test_task_waiting_on_a_failed_run_is_not_ready(records):
    ran: list[int] = []

    @task
    def after(y):
        ran.append(y)
        return y

    @flow
    def waits():
        bad = fails.submit()
        return bad, after(2, wait_for=[bad], return_state=True)

    bad, state = waits(return_state=True).result(raise_on_failure=False)
    assert state.is_pending() and state.name == "NotReady"
    upstream = bad.state_details.task_run_id
    assert state.message == f"Upstream task run '{upstream}' did not reach a 'COMPLETED' state."
    assert ran == []
    with pytest.raises(UnfinishedRun):
        state.result()
    row = records.task_run(state.state_details.task_run_id)
    assert (row["state_type"], row["state_name"]) == ("PENDING", "NotReady")
    assert [s["name"] for s in records.task_run_states(row["id"])] == ["Pending", "NotReady"]


def test_not_ready_propagates_downstream_and_fails_the_flow_that_uses_it(records):
    @task
    def double(x):
        return 2 * x

    @flow
    def chain():
        c = double.submit(fails.submit())
        d = double.submit(c)
        d.wait()  # the run ends NotReady: the future is done, as for a final state
        return c.state, d.state

    c, d = chain(return_state=True).result(raise_on_failure=False)
    assert (c.name, d.name) == ("NotReady", "NotReady")
    assert str(c.state_details.task_run_id) in d.message

    @flow
    def uses_result():
        return double(fails.submit())

    state = uses_result(return_state=True)
    assert state.is_failed() and "UnfinishedRun" in state.message


def test_subflow_waiting_on_a_failed_run_is_not_ready(records):
    @flow
    def child(y):
        return y

    @flow
    def parent():
        bad = fails.submit()
        return child(2, wait_for=[bad], return_state=True), child(3, wait_for=[allow_failure(bad)])

    sub, tolerated = parent(return_state=True).result(raise_on_failure=False)
    assert sub.is_pending() and sub.name == "NotReady"
    assert tolerated == 3
    row = records.flow_run(str(sub.state_details.flow_run_id))
    assert (row["state_type"], row["state_name"]) == ("PENDING", "NotReady")
