"""The orchestration rules, judged without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jupyter_orch.orchestration import rules
from jupyter_orch.states import State, StateType, utcnow


def ctx(initial: str | None, proposed: State, kind: str = "flow", **kw) -> rules.TransitionContext:
    init = State(initial) if initial else None
    return rules.TransitionContext(kind=kind, initial=init, proposed=proposed, **kw)


def decide(c: rules.TransitionContext, kind: str = "flow") -> rules.Decision:
    return rules.evaluate(rules.FLOW_RUN_RULES if kind == "flow" else rules.TASK_RUN_RULES, c)


@pytest.mark.parametrize("current", ["PENDING", "RUNNING", "CANCELLING", "CANCELLED", "PAUSED"])
def test_second_pending_claim_is_aborted(current: str) -> None:
    d = decide(ctx(current, State("PENDING")))
    assert d.status == rules.ABORT
    assert current in d.reason or "finished" in d.reason or "cancel" in d.reason


def test_scheduled_to_pending_accepted_when_due() -> None:
    c = ctx(None, State("PENDING"))
    c.initial = State("SCHEDULED", scheduled_time=utcnow() - timedelta(seconds=1))
    assert decide(c).status == rules.ACCEPT


def test_early_claim_waits_for_scheduled_time() -> None:
    c = ctx(None, State("PENDING"))
    c.initial = State("SCHEDULED", scheduled_time=utcnow() + timedelta(seconds=30))
    d = decide(c)
    assert d.status == rules.WAIT
    assert 29 < d.delay_seconds <= 30.1


def test_running_requires_pending_first() -> None:
    assert decide(ctx("SCHEDULED", State("RUNNING"))).status == rules.REJECT
    assert decide(ctx("PENDING", State("RUNNING"))).status == rules.ACCEPT


def test_completed_is_final_unless_forced() -> None:
    assert decide(ctx("COMPLETED", State("RUNNING"))).status == rules.ABORT
    assert decide(ctx("COMPLETED", State("SCHEDULED"))).status == rules.ABORT
    assert decide(ctx("COMPLETED", State("RUNNING"), force=True)).status == rules.ACCEPT


@pytest.mark.parametrize("current", ["FAILED", "CRASHED", "CANCELLED"])
def test_finished_runs_may_be_retried_but_not_resumed(current: str) -> None:
    assert decide(ctx(current, State("SCHEDULED"))).status == rules.ACCEPT
    assert decide(ctx(current, State("RUNNING"))).status == rules.ABORT


def test_cancelling_run_may_only_end() -> None:
    assert decide(ctx("CANCELLING", State("RUNNING"))).status == rules.ABORT
    assert decide(ctx("CANCELLING", State("CANCELLED"))).status == rules.ACCEPT


def test_duplicate_transition_is_a_noop() -> None:
    current = State("RUNNING")
    c = rules.TransitionContext(kind="flow", initial=current, proposed=current.copy())
    c.proposed.id = current.id
    d = decide(c)
    assert d.status == rules.ACCEPT and d.state is current


def test_failure_with_retries_left_becomes_awaiting_retry() -> None:
    policy = rules.RunPolicy(retries=2, retry_delay_seconds=[1, 5])
    first = decide(ctx("RUNNING", State("FAILED", message="x"), run_count=1, policy=policy))
    assert first.status == rules.REJECT
    assert first.state.name == "AwaitingRetry" and first.state.type is StateType.SCHEDULED
    delay = (first.state.scheduled_time - first.state.timestamp).total_seconds()
    assert delay == pytest.approx(1)
    second = decide(ctx("RUNNING", State("FAILED"), run_count=2, policy=policy))
    assert (second.state.scheduled_time - second.state.timestamp).total_seconds() == pytest.approx(5)
    last = decide(ctx("RUNNING", State("FAILED"), run_count=3, policy=policy))
    assert last.status == rules.ACCEPT and last.state.is_failed()


def test_timed_out_flow_is_not_retried_but_task_is() -> None:
    policy = rules.RunPolicy(retries=1)
    timed_out = State("FAILED", name="TimedOut")
    assert decide(ctx("RUNNING", timed_out, run_count=1, policy=policy)).status == rules.ACCEPT
    task = decide(ctx("RUNNING", timed_out, kind="task", run_count=1, policy=policy), kind="task")
    assert task.status == rules.REJECT


def test_crash_while_pending_is_retried() -> None:
    d = decide(ctx("PENDING", State("CRASHED"), run_count=0, policy=rules.RunPolicy(retries=1)))
    assert d.status == rules.REJECT and d.state.name == "AwaitingRetry"


def test_jitter_stays_within_bounds() -> None:
    policy = rules.RunPolicy(retries=1, retry_delay_seconds=10, retry_jitter_factor=0.5)
    delays = {policy.delay_for(1) for _ in range(200)}
    assert all(5 <= d <= 15 for d in delays)
    assert len(delays) > 100


def test_bookkeeping_counts_runs_and_time() -> None:
    times = rules.RunTimes()
    pending = State("PENDING")
    running = State("RUNNING", timestamp=pending.timestamp + timedelta(seconds=1))
    done = State("COMPLETED", timestamp=running.timestamp + timedelta(seconds=2))
    rules.bookkeep(times, None, pending)
    rules.bookkeep(times, pending, running)
    rules.bookkeep(times, running, done)
    assert times.run_count == 1
    assert times.start_time == running.timestamp and times.end_time == done.timestamp
    assert times.total_run_time == pytest.approx(2)


def test_task_retry_without_delay_enters_retrying_at_once() -> None:
    policy = rules.RunPolicy(retries=1)
    d = decide(ctx("RUNNING", State("FAILED"), kind="task", run_count=1, policy=policy), kind="task")
    assert d.status == rules.REJECT and d.state.name == "Retrying" and d.state.type is StateType.RUNNING
    flow = decide(ctx("RUNNING", State("FAILED"), run_count=1, policy=policy))
    assert flow.state.name == "AwaitingRetry"
