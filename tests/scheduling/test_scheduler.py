"""The scheduler pass: windows, idempotency across two schedulers, catch-up, pause."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from jupyter_orch.db.models import FlowRun
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import leases
from jupyter_orch.orchestration.store.schedules import Window, schedule_runs
from jupyter_orch.services.scheduler import SchedulerService

UTC = timezone.utc


def _deploy(url: str, name: str = "d", catchup: str = "skip", **sched) -> str:
    with session_scope(url) as s:
        dep = deps.upsert_deployment(
            s,
            flow_name="f",
            name=name,
            entrypoint="x.py:f",
            catchup=catchup,
            schedules=[sched or {"interval": 1}],
            schedule_now=False,  # these tests run the scheduler's pass themselves
        )
        return dep.id


def _times(url: str, dep_id: str) -> list[datetime]:
    with session_scope(url) as s:
        rows = s.scalars(select(FlowRun.expected_start_time).where(FlowRun.deployment_id == dep_id))
        return sorted(rows)


def test_window_rule_and_idempotent_passes(db_url: str) -> None:
    dep_id = _deploy(db_url, cron="*/5 * * * *")
    now = datetime(2024, 1, 1, 0, 1, tzinfo=UTC)
    with session_scope(db_url) as s:
        assert schedule_runs(s, now) == 13  # >= 3 runs and >= 1 hour ahead: 00:05 .. 01:05
    with session_scope(db_url) as s:
        assert schedule_runs(s, now) == 0
    times = _times(db_url, dep_id)
    assert times[0] == datetime(2024, 1, 1, 0, 5, tzinfo=UTC) and times[-1] == datetime(
        2024, 1, 1, 1, 5, tzinfo=UTC
    )
    with session_scope(db_url) as s:
        run = s.scalars(select(FlowRun).where(FlowRun.deployment_id == dep_id)).first()
        assert run.state_type == "SCHEDULED" and run.auto_scheduled and run.work_pool_name == "default"


def test_concurrent_passes_without_lease_never_duplicate(db_url: str) -> None:
    dep_id = _deploy(db_url)
    window = Window(min_runs=50, max_runs=50, min_time=timedelta(0))
    now = datetime.now(UTC)
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            with session_scope(db_url) as s:
                schedule_runs(s, now, window)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    times = _times(db_url, dep_id)
    assert len(times) == 50 == len(set(times))


def _wait_for(pred, timeout: float = 30.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `pred` until truthy (returned); fail after `timeout` s (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not (value := pred()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def _created(url: str, dep_id: str) -> list[datetime]:
    with session_scope(url) as s:
        return sorted(s.scalars(select(FlowRun.created).where(FlowRun.deployment_id == dep_id)))


def test_two_schedulers_one_database_no_duplicate_no_gap(db_url: str) -> None:
    """Two scheduler services compete on a 1-second schedule; the leader stops renewing its lease
    (as a killed server would) and the other takes over: no slot twice, none missed.

    Each step waits on what it needs (a leader, runs, the takeover), never on the clock: the
    first slot is whichever whole second follows the first pass, so it is checked against the
    time the first run was written, not against the test's start."""
    dep_id = _deploy(db_url)
    window = Window(min_runs=3, max_runs=3, min_time=timedelta(0))
    a = SchedulerService(db_url, interval=0.3, lease_ttl=1.0, window=window, holder="a")
    b = SchedulerService(db_url, interval=0.3, lease_ttl=1.0, window=window, holder="b")
    a.launch()
    b.launch()
    try:
        leader = _wait_for(lambda: a if a.is_leader else b if b.is_leader else None, what="a leader")
        other = b if leader is a else a
        _wait_for(lambda: leader.runs_created >= 4 and other.passes >= 3, what="the leader scheduling")
        assert not other.is_leader
        leader.on_stop = lambda: None  # type: ignore[method-assign]  # keeps its lease: no release
        leader.halt()
        handover = datetime.now(UTC)
        _wait_for(lambda: other.is_leader and other.runs_created >= 3, what="the other taking over")
    finally:
        a.halt()
        b.halt()
    times = _times(db_url, dep_id)
    created = _created(db_url, dep_id)
    assert len(times) == len(set(times)), "duplicate scheduled times"
    steps = {(b_ - a_).total_seconds() for a_, b_ in zip(times, times[1:], strict=False)}
    assert steps == {1.0}, f"a gap in the schedule: steps {sorted(steps)}"
    assert times[0] <= created[0] + timedelta(seconds=1)  # the first pass took the next slot
    assert times[-1] > handover  # and the schedule went on past the takeover


@pytest.mark.parametrize("policy,expected_missed", [("skip", 0), ("once", 1), ("all", 7)])
def test_catchup_policies_after_downtime(db_url: str, policy: str, expected_missed: int) -> None:
    dep_id = _deploy(db_url, catchup=policy)
    window = Window(min_runs=3, max_runs=3, min_time=timedelta(0))
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with session_scope(db_url) as s:
        schedule_runs(s, t0, window)  # t0, t0+1, t0+2
    restart = t0 + timedelta(seconds=10)  # no scheduler for ten seconds: t0+3 .. t0+9 missed
    with session_scope(db_url) as s:
        schedule_runs(s, restart, window)
    offsets = [int((t - t0).total_seconds()) for t in _times(db_url, dep_id)]
    missed = [o for o in offsets if 3 <= o < 10]
    assert len(missed) == expected_missed
    if policy == "once":
        assert missed == [9]  # the latest missed slot
    assert offsets[:3] == [0, 1, 2] and offsets[-3:] == [10, 11, 12]


def test_pausing_deletes_future_auto_runs_and_resume_restarts(db_url: str) -> None:
    dep_id = _deploy(db_url, cron="0 * * * *")
    with session_scope(db_url) as s:
        schedule_runs(s)
        adhoc = deps.create_flow_run_from_deployment(s, dep_id)
    with session_scope(db_url) as s:
        deps.set_paused(s, dep_id, True)
    with session_scope(db_url) as s:
        left = s.scalars(select(FlowRun.id).where(FlowRun.deployment_id == dep_id)).all()
        assert left == [adhoc.id]  # ad hoc runs stay
        assert schedule_runs(s) == 0  # paused: nothing scheduled
    with session_scope(db_url) as s:
        deps.set_paused(s, dep_id, False, schedule_now=False)
    with session_scope(db_url) as s:
        assert schedule_runs(s) == 3


def test_lease_single_holder_and_expiry(db_url: str) -> None:
    with session_scope(db_url) as s:
        assert leases.acquire_lease(s, "x", "a", 0.5)
    with session_scope(db_url) as s:
        assert not leases.acquire_lease(s, "x", "b", 0.5)
        assert leases.acquire_lease(s, "x", "a", 0.5)  # renewal

    def b_takes_it() -> bool:
        with session_scope(db_url) as s:
            return leases.acquire_lease(s, "x", "b", 0.5)

    _wait_for(b_takes_it, timeout=10, what="the lease to expire")
    with session_scope(db_url) as s:
        assert leases.lease_holder(s, "x") == "b"


def test_deployment_validation_and_lookup(db_url: str) -> None:
    with session_scope(db_url) as s:
        with pytest.raises(Invalid) as err:
            deps.upsert_deployment(
                s, flow_name="f", name="d", entrypoint="x.py:f", schedules=[{"cron": "bad"}]
            )
        assert err.value.field == "schedules[0].cron"
        with pytest.raises(Invalid) as err:
            deps.upsert_deployment(s, flow_name="f", name="d", entrypoint="x.py:f", work_pool_name="nope")
        assert err.value.field == "work_pool_name" and "unknown work pool 'nope'" in err.value.message
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    with session_scope(db_url) as s:
        dep = deps.upsert_deployment(
            s,
            flow_name="f",
            name="d",
            entrypoint="x.py:f",
            parameter_openapi_schema=schema,
            parameters={"n": 1},
        )
        again = deps.upsert_deployment(s, flow_name="f", name="d", entrypoint="x.py:g", tags=["t"])
        assert again.id == dep.id and again.entrypoint == "x.py:g"
        assert deps.read_deployment_by_name(s, "f/d").id == dep.id
        with pytest.raises(Invalid) as err:
            deps.create_flow_run_from_deployment(s, dep.id, parameters={"n": "many"})
        assert err.value.field == "parameters.n"
        run = deps.create_flow_run_from_deployment(s, dep.id, parameters={"n": "5"})
        assert run.parameters == {"n": 5} and run.tags == ["t"] and run.state_type == "SCHEDULED"
        assert s.scalar(select(func.count()).select_from(FlowRun)) == 1


def _scheduled(url: str, dep_id: str) -> int:
    with session_scope(url) as s:
        stmt = select(func.count()).where(FlowRun.deployment_id == dep_id, FlowRun.state_type == "SCHEDULED")
        return s.scalar(stmt)


def test_pause_between_plan_and_write_gets_no_runs(db_url: str) -> None:
    from jupyter_orch.orchestration.store.schedules import (
        list_schedules,
        plan_pass,
        set_schedule_active,
        write_runs,
    )

    paused, inactive, control = (_deploy(db_url, name=n, cron="0 * * * *") for n in ("p", "i", "c"))
    now = datetime.now(UTC)
    with session_scope(db_url) as s:
        plan = plan_pass(s, now)
    assert len(plan) == 3
    with session_scope(db_url) as s:  # between the scheduler's two transactions
        deps.set_paused(s, paused, True)
        set_schedule_active(s, list_schedules(s, inactive)[0].id, False)
    with session_scope(db_url) as s:
        assert write_runs(s, now, plan) == 3  # the control deployment's runs only
    assert (_scheduled(db_url, paused), _scheduled(db_url, inactive), _scheduled(db_url, control)) == (
        0,
        0,
        3,
    )


def test_pause_during_a_write_waits_and_then_deletes_its_runs(db_url: str) -> None:
    from jupyter_orch.orchestration.store.schedules import plan_pass, write_runs

    dep_id = _deploy(db_url, cron="0 * * * *")
    now = datetime.now(UTC)
    with session_scope(db_url) as s:
        plan = plan_pass(s, now)
    pauser = threading.Thread(target=lambda: _pause(db_url, dep_id))
    with session_scope(db_url) as s:
        assert write_runs(s, now, plan) == 3
        pauser.start()
        time.sleep(0.5)
        assert pauser.is_alive()  # the pause waits for the write to commit
    pauser.join(30)
    assert _scheduled(db_url, dep_id) == 0


def _pause(url: str, dep_id: str) -> None:
    with session_scope(url) as s:
        deps.set_paused(s, dep_id, True)


def _due_burst(url: str, n: int, at: datetime) -> None:
    """`n` scheduled runs of one deployment due at `at` (as a thousand cron deployments make)."""
    dep_id = _deploy(url, name="burst", cron="0 0 1 1 *")
    with session_scope(url) as s:
        for _ in range(n):
            deps.create_flow_run_from_deployment(s, dep_id, scheduled_time=at)


def test_a_pass_waits_while_many_runs_are_due_then_schedules(db_url: str) -> None:
    dep_id = _deploy(db_url, cron="*/5 * * * *")
    _due_burst(db_url, 20, datetime.now(UTC) + timedelta(seconds=1))
    scheduler = SchedulerService(db_url, holder="a")
    scheduler.busy_runs = 20
    assert scheduler.run_once() == 0  # 20 runs due within seconds: the window can wait
    assert _times(db_url, dep_id) == [] and scheduler.status()["passes_deferred"] == 1
    scheduler.max_defer = 0.0  # waited long enough: this pass writes, whatever is due
    assert scheduler.run_once() > 0 and _times(db_url, dep_id)


def test_a_pass_does_not_wait_for_a_few_due_runs(db_url: str) -> None:
    dep_id = _deploy(db_url, cron="*/5 * * * *")
    _due_burst(db_url, 19, datetime.now(UTC) + timedelta(seconds=1))
    scheduler = SchedulerService(db_url, holder="a")
    scheduler.busy_runs = 20
    assert scheduler.run_once() > 0 and _times(db_url, dep_id)
    assert scheduler.status()["passes_deferred"] == 0
