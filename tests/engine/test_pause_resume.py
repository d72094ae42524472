"""pause_flow_run / resume_flow_run in one process, on SQLite and PostgreSQL: the run shows Paused
while the flow waits, the input is validated against the model it waits for (a 422 naming the
field), the flow goes on with it; a pause never resumed fails the flow; what cannot pause says so."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from jupyter_orch import flow, pause_flow_run, resume_flow_run, suspend_flow_run, task
from jupyter_orch.client import ApiError
from jupyter_orch.engine.exceptions import FlowPauseTimeout
from jupyter_orch.input import RunInput
from jupyter_orch.orchestration import rules
from jupyter_orch.states import Completed, Paused, Pending, Running, Suspended


class Approval(RunInput):
    approved: bool
    note: str = ""


def _wait(pred: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def go() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, out


def test_pause_waits_for_typed_input_and_goes_on_with_it(records) -> None:
    @task
    def before() -> int:
        return 1

    @flow
    def approval_flow() -> str:
        before()
        answer = pause_flow_run(wait_for_input=Approval, timeout=60, poll_interval=0.05)
        return f"{answer.approved}:{answer.note}"

    thread, out = _in_thread(approval_flow)
    run = _wait(
        lambda: next(
            (r for r in records.flow_runs(flow_name="approval-flow") if r["state_type"] == "PAUSED"), None
        )
    )
    assert run["state_name"] == "Paused"
    assert len(records.task_runs(run["id"])) == 1  # what ran before the pause is recorded
    with pytest.raises(ApiError) as bad:
        resume_flow_run(run["id"], {"approved": "maybe"})
    assert bad.value.status == 422 and bad.value.field == "run_input.approved"
    with pytest.raises(ApiError) as missing:
        resume_flow_run(run["id"])
    assert missing.value.status == 422 and missing.value.field == "run_input"
    resume_flow_run(run["id"], {"approved": True, "note": "ok"})
    thread.join(30)
    assert out == {"value": "True:ok"}
    names = [s["name"] for s in records.flow_run_states(run["id"])]
    assert names[-4:] == ["Running", "Paused", "Resuming", "Completed"]
    with pytest.raises(ApiError) as again:
        resume_flow_run(run["id"])
    assert again.value.status == 409 and "not paused" in again.value.message


def test_a_sync_flow_pauses_where_an_event_loop_runs(records) -> None:
    """A notebook cell runs in ipykernel's event loop: a sync flow called there still waits
    (it once got an un-awaited coroutine and never paused)."""

    @flow
    def cell_flow() -> int:
        return pause_flow_run(wait_for_input=int, timeout=60, poll_interval=0.05) + 1

    async def cell() -> int:
        return cell_flow()

    thread, out = _in_thread(lambda: asyncio.run(cell()))
    run = _wait(
        lambda: next(
            (r for r in records.flow_runs(flow_name="cell-flow") if r["state_type"] == "PAUSED"), None
        )
    )
    resume_flow_run(run["id"], {"value": 1})
    thread.join(30)
    assert out == {"value": 2}


def test_a_plain_type_as_input_returns_the_value(records) -> None:
    @flow
    def count_flow() -> int:
        return pause_flow_run(wait_for_input=int, timeout=60, poll_interval=0.05) * 2

    thread, out = _in_thread(count_flow)
    run = _wait(
        lambda: next(
            (r for r in records.flow_runs(flow_name="count-flow") if r["state_type"] == "PAUSED"), None
        )
    )
    resume_flow_run(run["id"], {"value": 21})
    thread.join(30)
    assert out == {"value": 42}


def test_a_pause_never_resumed_fails_the_flow(records) -> None:
    @flow
    def forgotten() -> None:
        pause_flow_run(timeout=1, poll_interval=0.05)

    state = forgotten(return_state=True)
    assert state.is_failed() and "paused and never resumed" in (state.message or "")
    with pytest.raises(FlowPauseTimeout):
        state.result()


def test_what_cannot_pause_says_so(orch_env: str) -> None:
    with pytest.raises(RuntimeError, match="only be paused from within a flow run"):
        pause_flow_run()

    @flow
    def no_deployment() -> None:
        suspend_flow_run()

    with pytest.raises(RuntimeError, match="Cannot suspend flows without a deployment"):
        no_deployment()

    @task
    def in_a_task() -> None:
        pause_flow_run()

    @flow
    def pauses_in_task() -> None:
        in_a_task()

    with pytest.raises(RuntimeError, match="Cannot pause task runs"):
        pauses_in_task()


@pytest.mark.parametrize("explicit", [False, True], ids=["pause_flow_run", "apause_flow_run"])
def test_async_flow_awaits_the_pause(records, explicit: bool) -> None:
    """`await pause_flow_run(...)` in an async flow, and Prefect's explicitly async names
    `apause_flow_run` / `aresume_flow_run`."""
    from jupyter_orch import apause_flow_run, aresume_flow_run, aserve, asuspend_flow_run

    assert asyncio.iscoroutinefunction(asuspend_flow_run) and asyncio.iscoroutinefunction(aserve)
    pause = apause_flow_run if explicit else pause_flow_run

    @flow
    async def async_approval() -> bool:
        answer = await pause(wait_for_input=Approval, timeout=60, poll_interval=0.05)
        return answer.approved

    thread, out = _in_thread(lambda: asyncio.run(async_approval()))
    run = _wait(
        lambda: next(
            (r for r in records.flow_runs(flow_name="async-approval") if r["state_type"] == "PAUSED"), None
        )
    )
    if explicit:
        asyncio.run(aresume_flow_run(run["id"], run_input={"approved": True}))
    else:
        resume_flow_run(run["id"], {"approved": True})
    thread.join(30)
    assert out == {"value": True}


def _ctx(initial: Any, proposed: Any) -> rules.TransitionContext:
    return rules.TransitionContext(
        kind="flow", initial=initial, proposed=proposed, run_count=1, policy=rules.RunPolicy()
    )


def test_rules_only_running_runs_pause_and_suspended_runs_resume_by_schedule() -> None:
    assert rules.evaluate(rules.FLOW_RUN_RULES, _ctx(Running(), Paused())).status == rules.ACCEPT
    for initial in (Pending(), Completed(), None):
        assert rules.evaluate(rules.FLOW_RUN_RULES, _ctx(initial, Paused())).status == rules.ABORT
    suspended = Suspended(data={"pause_key": "k", "pause_reschedule": True})
    assert rules.evaluate(rules.FLOW_RUN_RULES, _ctx(suspended, Running())).status == rules.ABORT
    paused = Paused(data={"pause_key": "k", "pause_reschedule": False})
    assert rules.evaluate(rules.FLOW_RUN_RULES, _ctx(paused, Running())).status == rules.ACCEPT
