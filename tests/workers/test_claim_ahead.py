"""Claim-ahead: runs due within a few seconds are claimed early and started at their time."""

from __future__ import annotations

import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from jupyter_orch.client import local_client
from jupyter_orch.db.models import FlowRun, FlowRunState, utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import flow_runs, workers
from jupyter_orch.services.crash_detection import CrashDetectionService
from jupyter_orch.states import Pending, Scheduled
from jupyter_orch.workers.worker import Worker


def _decide(delay: float, promise: float | None) -> rules.Decision:
    now = utcnow()
    when = now + timedelta(seconds=delay)
    proposed = Pending(scheduled_time=None if promise is None else now + timedelta(seconds=promise))
    ctx = rules.TransitionContext("flow", Scheduled(scheduled_time=when), proposed, now=now)
    return rules.evaluate(rules.FLOW_RUN_RULES, ctx)


def test_rules_allow_an_early_claim_only_with_a_start_promise_within_the_horizon() -> None:
    assert _decide(1.0, None).status == rules.WAIT  # a plain early PENDING still waits
    assert _decide(1.0, 1.0).status == rules.ACCEPT  # promise to start at the scheduled time
    assert _decide(1.0, 0.5).status == rules.WAIT  # a promise to start early is no promise
    far = rules.WaitForScheduledTime.CLAIM_AHEAD_SECONDS + 5
    assert _decide(far, far).status == rules.WAIT  # beyond the claim-ahead horizon
    assert _decide(-1.0, None).status == rules.ACCEPT  # due: as before


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    (tmp_path / "flows.py").write_text(textwrap.dedent("def trivial():\n    return 1\n"))
    return tmp_path


def _deployment(url: str, path: Path) -> str:
    with session_scope(url) as s:
        return deps.upsert_deployment(
            s, flow_name="trivial", name="d", entrypoint="flows.py:trivial", path=str(path)
        ).id


def _runs_at(url: str, dep_id: str, n: int, delay: float) -> list[str]:
    when = utcnow() + timedelta(seconds=delay)
    with session_scope(url) as s:
        return [deps.create_flow_run_from_deployment(s, dep_id, scheduled_time=when).id for _ in range(n)]


def _rows(url: str, ids: list[str]) -> list[FlowRun]:
    with session_scope(url) as s:
        rows = list(s.scalars(select(FlowRun).where(FlowRun.id.in_(ids))))
        s.expunge_all()
        return rows


def _wait(pred, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_store_claims_ahead_with_the_start_time_and_no_second_claimant(db_url: str, tmp_path: Path) -> None:
    dep_id = _deployment(db_url, tmp_path)
    (soon,) = _runs_at(db_url, dep_id, 1, 3.0)
    beyond = rules.WaitForScheduledTime.CLAIM_AHEAD_SECONDS + 30
    (later,) = _runs_at(db_url, dep_id, 1, beyond)
    horizon = utcnow() + timedelta(seconds=beyond + 60)
    with session_scope(db_url) as s:
        claimed = workers.get_scheduled_flow_runs(s, "default", "w1", limit=10, scheduled_before=horizon)
        assert [r.id for r in claimed] == [soon]  # `later` is beyond the rules' claim-ahead horizon
    with session_scope(db_url) as s:
        run = flow_runs.read_flow_run(s, soon)
        assert run.state_type == "PENDING" and run.worker_name == "w1"
        assert run.state_data["scheduled_time"] == run.expected_start_time.isoformat()
        assert workers.get_scheduled_flow_runs(s, "default", "w2", limit=10, scheduled_before=horizon) == []
    with session_scope(db_url) as s:  # without a horizon nothing is due yet
        assert flow_runs.read_flow_run(s, later).state_type == "SCHEDULED"
        assert workers.get_scheduled_flow_runs(s, "default", "w3", limit=10) == []


def test_two_workers_claim_ahead_each_run_starts_once_on_time(orch_env: str, flows_dir: Path) -> None:
    dep_id = _deployment(orch_env, flows_dir)
    pairs, started = [], []
    for name in ("w1", "w2"):
        w = Worker(
            name=name,
            client=local_client(orch_env),
            poll_interval=0.1,
            heartbeat_interval=0.5,
            shutdown_grace=5,
            claim_ahead=8.0,  # wide: a CPU hog delayed a claim by 3.3 s past a 2 s window
            claim_batch=5,
        )
        stop = threading.Event()
        t = threading.Thread(target=w.run, args=(stop,), daemon=True)
        t.start()
        pairs.append((stop, t))
        started.append(w)
    _wait(lambda: all(w._last_heartbeat for w in started))  # fork servers warmed up
    ids = _runs_at(orch_env, dep_id, 12, 10.0)
    try:
        _wait(lambda: all(r.state_type == "COMPLETED" for r in _rows(orch_env, ids)))
    finally:
        for stop, _t in pairs:
            stop.set()
        for _, t in pairs:
            t.join(20)
    rows = _rows(orch_env, ids)
    late = sorted((r.start_time - r.expected_start_time).total_seconds() for r in rows)
    # never early; how late is the machine's (the scheduling benchmark measures it: ~0.01 s on a
    # quiet machine, 4 s seen under a CPU hog); what claiming ahead guarantees is checked below
    assert late[0] >= 0 and late[-1] < 30.0, late
    assert all(r.run_count == 1 for r in rows)
    with session_scope(orch_env) as s:
        history = s.execute(
            select(FlowRunState.flow_run_id, FlowRunState.type, FlowRunState.timestamp).where(
                FlowRunState.flow_run_id.in_(ids)
            )
        ).all()
    expected = {r.id: r.expected_start_time for r in rows}
    for run_id in ids:
        types = [t for rid, t, _ in history if rid == run_id]
        assert types.count("PENDING") == 1 and types.count("RUNNING") == 1, types
        # claimed ahead: every run was PENDING on a worker before its time came
        claimed = next(ts for rid, t, ts in history if rid == run_id and t == "PENDING")
        assert _naive(claimed) < _naive(expected[run_id]), (claimed, expected[run_id])
    assert {r.worker_name for r in rows} <= {"w1", "w2"}


def test_run_claimed_ahead_by_a_dead_worker_is_crashed(db_url: str, tmp_path: Path) -> None:
    dep_id = _deployment(db_url, tmp_path)
    (run_id,) = _runs_at(db_url, dep_id, 1, 2.0)
    client = local_client(db_url)
    horizon = utcnow() + timedelta(seconds=5)
    claimed = client.get_scheduled_flow_runs("default", "doomed", 5, scheduled_before=horizon)
    assert [r["id"] for r in claimed] == [run_id]
    # the worker dies here: no heartbeat, no start
    crash = CrashDetectionService(db_url, heartbeat_timeout=1.0)
    _wait(lambda: crash.run_once() > 0, timeout=10)
    row = _rows(db_url, [run_id])[0]
    # a run that never started is crashed and, having not used its attempt, scheduled again
    assert (row.state_type, row.state_name) in {("CRASHED", "Crashed"), ("SCHEDULED", "AwaitingRetry")}
    with session_scope(db_url) as s:
        history = s.scalars(select(FlowRunState.type).where(FlowRunState.flow_run_id == run_id)).all()
    assert "CRASHED" in history or row.state_type == "SCHEDULED"


def test_worker_shutting_down_hands_back_runs_waiting_in_it(db_url: str, tmp_path: Path) -> None:
    dep_id = _deployment(db_url, tmp_path)
    (run_id,) = _runs_at(db_url, dep_id, 1, 3.0)
    w = Worker(client=local_client(db_url), claim_ahead=5.0, shutdown_grace=1, warm=False)
    w.executor.can_prestart = lambda run: False  # as for a notebook run: it waits in the worker
    try:
        w.run_once()
        assert list(w.waiting) == [run_id] and not w.running
        assert 0 < w.next_start_in() <= 3.0
        assert _rows(db_url, [run_id])[0].state_type == "PENDING"
    finally:
        w.close()
    row = _rows(db_url, [run_id])[0]
    assert row.state_type == "SCHEDULED"
    assert row.next_scheduled_start_time == row.expected_start_time  # same time, claimable again


def _naive(ts: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware: compare both as naive UTC."""
    return ts.astimezone(timezone.utc).replace(tzinfo=None) if ts.tzinfo else ts
