"""Flow runs in a real database (SQLite file and PostgreSQL): creation, filters, state changes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from jupyter_orch.db.session import get_engine, session_scope
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.orchestration.store import flow_runs, task_runs
from jupyter_orch.states import Scheduled, State, StateType, utcnow


def test_create_and_transition(db_url: str) -> None:
    with session_scope(db_url) as s:
        run = flow_runs.create_flow_run(s, flow_name="etl", parameters={"n": 1}, tags=["x"])
        run_id = run.id
        assert run.state_type == "PENDING" and run.name
    with session_scope(db_url) as s:
        assert flow_runs.set_flow_run_state(s, run_id, State("RUNNING")).status == rules.ACCEPT
        assert flow_runs.set_flow_run_state(s, run_id, State("COMPLETED")).status == rules.ACCEPT
    with session_scope(db_url) as s:
        run = flow_runs.read_flow_run(s, run_id)
        assert run.state_type == "COMPLETED" and run.run_count == 1
        assert run.start_time is not None and run.end_time >= run.start_time
        history = [st.type for st in flow_runs.flow_run_states(s, run_id)]
        assert history == ["PENDING", "RUNNING", "COMPLETED"]


def test_idempotency_key_gives_one_run(db_url: str) -> None:
    with session_scope(db_url) as s:
        a = flow_runs.create_flow_run(s, flow_name="f", idempotency_key="k1", state=Scheduled())
        b = flow_runs.create_flow_run(s, flow_name="f", idempotency_key="k1", state=Scheduled())
        assert a.id == b.id


def test_duplicate_transition_applied_once(db_url: str) -> None:
    with session_scope(db_url) as s:
        run_id = flow_runs.create_flow_run(s, flow_name="f").id
    running = State("RUNNING")
    for _ in range(2):
        with session_scope(db_url) as s:
            assert flow_runs.set_flow_run_state(s, run_id, running).status == rules.ACCEPT
    with session_scope(db_url) as s:
        assert len(flow_runs.flow_run_states(s, run_id)) == 2
        assert flow_runs.read_flow_run(s, run_id).run_count == 1


def test_concurrent_pending_claims_one_winner(db_url: str) -> None:
    with session_scope(db_url) as s:
        ids = [flow_runs.create_flow_run(s, flow_name="f", state=Scheduled(utcnow())).id for _ in range(10)]
    results: list[str] = []
    lock = threading.Lock()

    def claim(run_id: str) -> None:
        with session_scope(db_url) as s:
            status = flow_runs.set_flow_run_state(s, run_id, State("PENDING")).status
        with lock:
            results.append(status)

    threads = [threading.Thread(target=claim, args=(rid,)) for rid in ids for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ABORT"] * 10 + ["ACCEPT"] * 10


def test_filters_and_keyset_pagination(db_url: str) -> None:
    with session_scope(db_url) as s:
        for i in range(7):
            flow_runs.create_flow_run(s, flow_name="a" if i % 2 else "b", tags=["t", f"i{i}"])
    with session_scope(db_url) as s:
        seen, cursor = [], None
        while True:
            page, cursor = flow_runs.list_flow_runs(s, limit=3, cursor=cursor)
            seen += [r.id for r in page]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 7
        only_a, _ = flow_runs.list_flow_runs(s, flow_name="a")
        assert len(only_a) == 3
        tagged, _ = flow_runs.list_flow_runs(s, tags=["t", "i4"])
        assert [r.tags for r in tagged] == [["t", "i4"]]
        assert flow_runs.list_flow_runs(s, state_type=["PENDING"], limit=50)[0]
        later = utcnow() + timedelta(hours=1)
        assert flow_runs.list_flow_runs(s, start_after=later.isoformat())[0] == []


def test_bad_inputs_name_the_field(db_url: str) -> None:
    with session_scope(db_url) as s:
        with pytest.raises(Invalid) as err:
            flow_runs.list_flow_runs(s, state_type="DONE")
        assert err.value.field == "state_type"
        with pytest.raises(Invalid) as err:
            flow_runs.list_flow_runs(s, cursor="garbage!")
        assert err.value.field == "cursor"
        with pytest.raises(Invalid):
            flow_runs.list_flow_runs(s, limit=0)
        with pytest.raises(NotFound):
            flow_runs.read_flow_run(s, "00000000-0000-0000-0000-000000000000")


def test_task_batch_is_idempotent_and_newest_snapshot_wins(db_url: str) -> None:
    with session_scope(db_url) as s:
        flow_run_id = flow_runs.create_flow_run(s, flow_name="f").id
    now = utcnow()
    base = {
        "id": "11111111-1111-1111-1111-111111111111",
        "name": "t-0",
        "task_key": "t",
        "flow_run_id": flow_run_id,
        "tags": [],
        "task_inputs": {},
        "empirical_policy": {},
        "created": now,
        "updated": now,
    }
    running = dict(base, state_id="a" * 36, state_type="RUNNING", state_name="Running", state_timestamp=now)
    done = dict(
        base,
        state_id="b" * 36,
        state_type="COMPLETED",
        state_name="Completed",
        state_timestamp=now.isoformat(),
        end_time=now.isoformat(),
    )
    state_rows = [
        {
            "id": "b" * 36,
            "task_run_id": base["id"],
            "type": "COMPLETED",
            "name": "Completed",
            "timestamp": now,
        }
    ]
    with session_scope(db_url) as s:
        task_runs.apply_batch(s, {"task_runs": [running]})
    for _ in range(2):
        with session_scope(db_url) as s:
            task_runs.apply_batch(
                s,
                {
                    "task_runs": [done],
                    "task_run_states": state_rows,
                    "logs": [{"flow_run_id": flow_run_id, "message": "hi", "timestamp": now}],
                },
            )
    with session_scope(db_url) as s:
        tr = task_runs.read_task_run(s, base["id"])
        assert tr.state_type == "COMPLETED" and tr.end_time is not None
        assert len(task_runs.task_run_states(s, base["id"])) == 1
        with pytest.raises(Invalid):
            task_runs.apply_batch(s, {"task_runs": [{"id": "x"}]})


def test_time_window_counts_started_and_waiting_runs(db_url: str) -> None:
    """A run counts at its start time, or, not started yet, at its expected start time."""
    now = utcnow()
    with session_scope(db_url) as s:
        waiting = flow_runs.create_flow_run(s, flow_name="w", state=Scheduled(now - timedelta(hours=2)))
        old = flow_runs.create_flow_run(s, flow_name="w", state=Scheduled(now - timedelta(hours=30)))
        ran = flow_runs.create_flow_run(s, flow_name="w", state=Scheduled(now - timedelta(hours=30)))
        ids = (waiting.id, old.id, ran.id)
    with session_scope(db_url) as s:
        # scheduled 30 h ago but it started only now: it belongs to the last hour
        flow_runs.set_flow_run_state(s, ids[2], State("PENDING"))
        flow_runs.set_flow_run_state(s, ids[2], State("RUNNING"))
    with session_scope(db_url) as s:
        since, until = now - timedelta(hours=24), now + timedelta(minutes=1)
        total, slices = flow_runs.bucketed_counts(s, since, until, 24)
        assert total == {"SCHEDULED": 1, "RUNNING": 1}
        assert slices[21] == {"SCHEDULED": 1} and slices[23] == {"RUNNING": 1}
        assert sum(len(c) for c in slices) == 2
        assert flow_runs.count_flow_runs_by_state(s, since=since, until=until) == total
        found, _ = flow_runs.list_flow_runs(s, start_before=(now - timedelta(hours=24)).isoformat())
        assert [r.id for r in found] == [ids[1]]


def test_most_states_at_once_read_the_newest_first_index(db_url: str) -> None:
    """The Runs page's history asks for every state but Scheduled: the same runs as the IN list,
    and on SQLite read newest first from the index that stops after a page, with no sort of every
    match (100,000 runs: ~150 ms -> ~5 ms)."""
    from sqlalchemy import event  # only here: to see the SQL the listing runs

    all_types = list(StateType.__members__)
    history = [t for t in all_types if t != "SCHEDULED"]
    with session_scope(db_url) as s:
        for state in (State("COMPLETED"), State("FAILED"), Scheduled(utcnow()), State("RUNNING")):
            flow_runs.create_flow_run(s, flow_name="f", state=state)
    engine = get_engine(db_url)
    statements: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(db_url) as s:
            page, _ = flow_runs.list_flow_runs(s, state_type=history, limit=50)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sorted(r.state_type for r in page) == ["COMPLETED", "FAILED", "RUNNING"]
    with session_scope(db_url) as s:
        assert len(flow_runs.list_flow_runs(s, state_type=all_types)[0]) == 4
        assert [r.state_type for r in flow_runs.list_flow_runs(s, state_type=["SCHEDULED"])[0]] == [
            "SCHEDULED"
        ]
    if engine.dialect.name == "sqlite":
        statement, parameters = next(x for x in statements if "ORDER BY" in x[0])
        with engine.connect() as conn:
            plan = " ".join(
                str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
        assert "ix_flow_runs_created_id" in plan and "TEMP B-TREE" not in plan, plan
