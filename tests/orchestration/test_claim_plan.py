"""The claim plan on its own: which runs a worker's claim takes within pool, queue and deployment
limits, and which it claims ahead (the SQL around it is covered in tests/workers)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from jupyter_orch.orchestration.claim_plan import (
    Candidate,
    ClaimPlan,
    Pick,
    by_priority,
    claim_limit,
    open_queues,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)


@dataclass
class Queue:
    name: str
    priority: int = 1
    is_paused: bool = False
    concurrency_limit: int | None = None


@dataclass
class Row:
    id: str
    work_queue_name: str | None
    deployment_id: str | None
    next_scheduled_start_time: datetime


def test_open_queues_skip_paused_and_unnamed() -> None:
    queues = [Queue("a"), Queue("b", is_paused=True), Queue("c")]
    assert [q.name for q in open_queues(queues, None)] == ["a", "c"]
    assert [q.name for q in open_queues(queues, ["b", "c"])] == ["c"]


def test_claim_limit_within_the_pool() -> None:
    assert claim_limit(None, None, 0) == 10
    assert claim_limit(5, 3, 1) == 2
    assert claim_limit(5, 3, 7) == 0
    assert claim_limit(-1, None, 0) == 0


def test_priority_then_time() -> None:
    rows = [
        Row("late-low", "low", None, NOW),
        Row("early-low", "low", None, NOW - timedelta(1)),
        Row("high", "high", None, NOW + timedelta(1)),
        Row("default", None, None, NOW - timedelta(2)),
    ]
    order = by_priority(rows, {"high": 0, "low": 2, "default": 1})
    assert [r.id for r in order] == ["high", "default", "early-low", "late-low"]


def test_limits_hold_and_a_refusal_frees_its_slot() -> None:
    runs = [Candidate(f"r{i}", "q", "d", NOW) for i in range(4)] + [Candidate("x", "other", None, NOW)]
    plan = ClaimPlan(3, {"q": 2}, {"d": 5}, Counter({("queue", "q"): 1}), NOW)
    picked, rest = plan.pick(runs, claimed=0)
    assert [p.run_id for p in picked] == ["r0", "x"]  # one slot left in queue q; r1-r3 dropped
    assert rest == []
    plan.refused(picked[0])
    again, _ = plan.pick(runs[1:2], claimed=1)
    assert [p.run_id for p in again] == ["r1"]


def test_runs_past_the_limit_wait_for_the_next_round() -> None:
    runs = [Candidate(f"r{i}", "q", None, NOW) for i in range(3)]
    picked, rest = ClaimPlan(2, {}, {}, Counter(), NOW).pick(runs, claimed=1)
    assert [p.run_id for p in picked] == ["r0"] and [r.id for r in rest] == ["r1", "r2"]


def test_a_run_due_later_is_claimed_ahead_with_its_time() -> None:
    later = (NOW + timedelta(seconds=20)).replace(tzinfo=None)  # as SQLite hands it back
    picked, _ = ClaimPlan(5, {}, {}, Counter(), NOW).pick(
        [Candidate("now", "q", None, NOW), Candidate("later", "q", None, later)], claimed=0
    )
    assert picked == [
        Pick("now", "q", None, None),
        Pick("later", "q", None, later.replace(tzinfo=timezone.utc)),
    ]
