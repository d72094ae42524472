"""Bulk start: a worker starts the prepared runs due at the same time with one bulk transition
(RUNNING for each, through the same rules and compare-and-set as a single proposal), then releases
their waiting processes, which run from that RUNNING instead of proposing it again."""

from __future__ import annotations

import json
import os
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from jupyter_orch.client import OrchClient, http_client, local_client
from jupyter_orch.client.local import LocalTransport
from jupyter_orch.db.models import FlowRun, FlowRunState, utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.engine import flow_engine
from jupyter_orch.engine import flows as engine_flows
from jupyter_orch.orchestration import rules
from jupyter_orch.orchestration.sqlwrite import flow_runs as sql_flow_runs
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.states import Cancelling, Pending, Running
from jupyter_orch.workers.worker import Worker

FLOWS = textwrap.dedent(
    """
    import os, pathlib

    from jupyter_orch import flow

    def plain(marker=None):
        if marker:
            pathlib.Path(marker, os.environ["JUPYTER_ORCH_FLOW_RUN_ID"]).write_text(str(os.getpid()))
        return 1

    def boom():
        raise ValueError("boom in the body")

    @flow
    def engine_flow(x: int = 1):
        return x + 1
    """
)


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    d = tmp_path / "flows"
    d.mkdir()
    (d / "flows.py").write_text(FLOWS)
    return d


def _deployment(url: str, path: Path, fn: str) -> str:
    with session_scope(url) as s:
        return deps.upsert_deployment(
            s, flow_name=fn.replace("_", "-"), name="d", entrypoint=f"flows.py:{fn}", path=str(path)
        ).id


def _runs_at(url: str, dep_id: str, n: int, delay: float, **kw) -> list[str]:
    when = utcnow() + timedelta(seconds=delay)
    with session_scope(url) as s:
        return [
            deps.create_flow_run_from_deployment(s, dep_id, scheduled_time=when, **kw).id for _ in range(n)
        ]


def _rows(url: str, ids: list[str]) -> list[FlowRun]:
    with session_scope(url) as s:
        rows = list(s.scalars(select(FlowRun).where(FlowRun.id.in_(ids))))
        s.expunge_all()
        return rows


def _history(url: str, run_id: str) -> list[str]:
    with session_scope(url) as s:
        stmt = select(FlowRunState.type).where(FlowRunState.flow_run_id == run_id)
        return list(s.scalars(stmt.order_by(FlowRunState.timestamp, FlowRunState.id)))


def _wait(pred, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _pending_runs(url: str, path: Path, n: int) -> list[str]:
    dep_id = _deployment(url, path, "plain")
    with session_scope(url) as s:
        ids = [deps.create_flow_run_from_deployment(s, dep_id).id for _ in range(n)]
    with session_scope(url) as s:
        for run_id in ids:
            assert flow_runs.set_flow_run_state(s, run_id, Pending()).status == rules.ACCEPT
    return ids


# -- the store's bulk transition --------------------------------------------------------------------
def test_bulk_transition_judges_each_run_and_skips_one_cancelled_meanwhile(
    db_url: str, flows_dir: Path
) -> None:
    ids = _pending_runs(db_url, flows_dir, 5)
    with session_scope(db_url) as s:  # cancelled while its process was waiting
        assert flow_runs.set_flow_run_state(s, ids[1], Cancelling()).status == rules.ACCEPT
    proposals = [(run_id, Running()) for run_id in ids] + [("no-such-run", Running()), (ids[0], Running())]
    with session_scope(db_url) as s:
        answers = flow_runs.set_flow_run_states(s, proposals)
    assert answers[ids[1]].status == rules.ABORT and "cancelled" in answers[ids[1]].reason
    assert answers["no-such-run"].status == rules.ABORT
    # named twice: judged again after the first was applied (RUNNING → RUNNING changes no count)
    assert answers[ids[0]].status == rules.ACCEPT
    rows = {r.id: r for r in _rows(db_url, ids)}
    assert rows[ids[1]].state_type == "CANCELLING" and rows[ids[1]].start_time is None
    started = [i for i in ids if i != ids[1]]
    for run_id in started:
        assert answers[run_id].status == rules.ACCEPT
        assert rows[run_id].state_type == "RUNNING" and rows[run_id].run_count == 1
        assert rows[run_id].start_time is not None and rows[run_id].last_heartbeat is not None
        assert _history(db_url, run_id).count("RUNNING") == (2 if run_id == ids[0] else 1)
    # each answer carries its own run's state, the one written
    assert len({answers[i].state.id for i in started}) == len(started)
    assert all(rows[i].state_id == answers[i].state.id for i in started[1:])


def test_bulk_transition_loses_no_race(db_url: str, flows_dir: Path) -> None:
    """A run whose state moves between the bulk read and its compare-and-set is judged again alone."""
    ids = _pending_runs(db_url, flows_dir, 3)
    original = sql_flow_runs._state_values
    moved = []

    def meddle(run, initial, new):  # another writer cancels ids[2] right after it was read
        if run.id == ids[2] and not moved:
            moved.append(run.id)
            with session_scope(db_url) as other:
                flow_runs.set_flow_run_state(other, run.id, Cancelling())
        return original(run, initial, new)

    if db_url.startswith("sqlite"):
        pytest.skip("SQLite serializes writers: no other writer can act inside the bulk transaction")
    sql_flow_runs._state_values = meddle
    try:
        with session_scope(db_url) as s:
            answers = flow_runs.set_flow_run_states(s, [(i, Running()) for i in ids])
    finally:
        sql_flow_runs._state_values = original
    assert moved and answers[ids[2]].status == rules.ABORT
    assert [answers[i].status for i in ids[:2]] == [rules.ACCEPT, rules.ACCEPT]
    assert _rows(db_url, [ids[2]])[0].state_type == "CANCELLING"


def test_bulk_route_over_http(db_url: str, flows_dir: Path, tmp_path: Path) -> None:
    """`set_flow_run_states` over HTTP → POST /flow_runs/set_states on a real `jupyter orch server`."""
    from jupyter_orch.server.process import ServerProcess

    ids = _pending_runs(db_url, flows_dir, 3)
    # no services: nothing but this request touches the runs
    env = {"JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "jupyter_server_config.json").write_text(
        json.dumps({"OrchApp": {"background_services": False}})
    )
    server = ServerProcess(db_url, tmp_path / "server-home", env=env).start()
    client = http_client(server.url, server.token)
    try:
        with session_scope(db_url) as s:
            flow_runs.set_flow_run_state(s, ids[0], Cancelling())
        answers = client.set_flow_run_states([(i, Running()) for i in ids])
    finally:
        client.close()
        server.stop()
    assert answers[ids[0]]["status"] == "ABORT"
    assert [answers[i]["status"] for i in ids[1:]] == ["ACCEPT", "ACCEPT"]
    assert all(answers[i]["state"]["type"] == "RUNNING" for i in ids[1:])
    assert [r.state_type for r in sorted(_rows(db_url, ids), key=lambda r: ids.index(r.id))] == [
        "CANCELLING",
        "RUNNING",
        "RUNNING",
    ]


# -- the worker ----------------------------------------------------------------------------------
class _CountingClient(OrchClient):
    def __init__(self, url: str) -> None:
        super().__init__(LocalTransport(url))
        self.bulk_calls: list[list[tuple[str, str]]] = []

    def set_flow_run_states(self, proposals, force=False):
        self.bulk_calls.append([(run_id, st.type.value) for run_id, st in proposals])
        return super().set_flow_run_states(proposals, force)


def _start_worker(url: str, **kw) -> tuple[Worker, threading.Event, threading.Thread]:
    client = kw.pop("client", None) or local_client(url)
    w = Worker(client=client, poll_interval=0.1, heartbeat_interval=0.3, shutdown_grace=5, **kw)
    stop = threading.Event()
    t = threading.Thread(target=w.run, args=(stop,), daemon=True)
    t.start()
    _wait(lambda: w._last_heartbeat)  # fork server warmed up
    return w, stop, t


def test_fifty_simultaneous_runs_start_in_one_bulk_transition(
    orch_env: str, flows_dir: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    dep_id = _deployment(orch_env, flows_dir, "plain")
    client = _CountingClient(orch_env)
    # all 50 exist before the worker's first claim (made while it polled, a CPU hog let one claim
    # take 34 of them and a later one the rest)
    ids = _runs_at(orch_env, dep_id, 50, 15.0, parameters={"marker": str(marks)})
    w, stop, t = _start_worker(orch_env, client=client, claim_ahead=20.0, claim_batch=100)
    try:
        _wait(lambda: all(r.state_type == "COMPLETED" for r in _rows(orch_env, ids)), timeout=60)
    finally:
        stop.set()
        t.join(30)
    rows = _rows(orch_env, ids)
    # every body ran exactly once, each in a process of its own
    assert sorted(p.name for p in marks.iterdir()) == sorted(ids)
    assert len({p.read_text() for p in marks.iterdir()}) == 50
    # started by the worker: RUNNING for all 50 proposed in one call (none of them by its process)
    starts = [call for call in client.bulk_calls if call and call[0][1] == "RUNNING"]
    assert len(starts) == 1 and sorted(run_id for run_id, _ in starts[0]) == sorted(ids)
    # ended through the worker too: COMPLETED reported in bulk, not by 50 processes
    ends = [run_id for call in client.bulk_calls for run_id, st in call if st == "COMPLETED"]
    assert sorted(ends) == sorted(ids)
    for r in rows:
        assert r.run_count == 1 and r.start_time >= r.expected_start_time  # never early
        assert r.end_time >= r.start_time
        assert _history(orch_env, r.id) == ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"]
    # all 50 got the same start (one transition), not a queue of 50 separate ones
    assert len({r.start_time for r in rows}) == 1


def test_engine_flow_continues_from_the_running_its_worker_set(orch_env: str, flows_dir: Path) -> None:
    dep_id = _deployment(orch_env, flows_dir, "engine_flow")
    w, stop, t = _start_worker(orch_env, claim_ahead=20.0)
    try:
        ids = _runs_at(orch_env, dep_id, 3, 5.0, parameters={"x": 41})
        _wait(lambda: all(r.state_type == "COMPLETED" for r in _rows(orch_env, ids)), timeout=60)
    finally:
        stop.set()
        t.join(30)
    for run_id in ids:
        assert _history(orch_env, run_id) == ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"]
    with session_scope(orch_env) as s:
        run = flow_runs.read_flow_run(s, ids[0])
        assert run.run_count == 1 and run.start_time >= run.expected_start_time


def test_engine_adopting_a_run_not_started_by_its_worker_starts_it_as_before(
    orch_env: str, flows_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stale or foreign "started" id changes nothing: the engine proposes PENDING/RUNNING itself."""
    with session_scope(orch_env) as s:
        run = flow_runs.create_flow_run(s, flow_name="adopted", state=Pending())
        run_id = run.id

    @engine_flows.flow(name="adopted")
    def adopted() -> int:
        return 7

    monkeypatch.setenv(flow_engine.FLOW_RUN_ID_ENV, run_id)
    monkeypatch.setenv(flow_engine.STARTED_STATE_ENV, "not-its-state")
    assert adopted() == 7
    assert _history(orch_env, run_id) == ["PENDING", "RUNNING", "COMPLETED"]
    assert flow_engine.STARTED_STATE_ENV not in os.environ  # used once, by the adopted run only


def test_run_cancelled_while_its_process_waits_is_not_started(orch_env: str, flows_dir: Path) -> None:
    dep_id = _deployment(orch_env, flows_dir, "plain")
    # heartbeats far apart: the cancel is met by the bulk transition, not by a heartbeat's answer
    w, stop, t = _start_worker(orch_env, claim_ahead=20.0)
    w.heartbeat_interval = 3600
    try:
        ids = _runs_at(orch_env, dep_id, 3, 5.0)
        _wait(lambda: all(r.state_type == "PENDING" for r in _rows(orch_env, ids)))
        _wait(lambda: len(w.running) == 3)  # prepared, waiting
        with session_scope(orch_env) as s:
            flow_runs.set_flow_run_state(s, ids[0], Cancelling())
        _wait(lambda: all(r.state_type in ("COMPLETED", "CANCELLED") for r in _rows(orch_env, ids)))
    finally:
        stop.set()
        t.join(30)
    rows = {r.id: r for r in _rows(orch_env, ids)}
    assert rows[ids[0]].state_type == "CANCELLED" and rows[ids[0]].start_time is None
    assert "RUNNING" not in _history(orch_env, ids[0])
    assert [rows[i].state_type for i in ids[1:]] == ["COMPLETED", "COMPLETED"]


def test_run_cancelled_while_prepared_is_killed_by_heartbeat(orch_env: str, flows_dir: Path) -> None:
    dep_id = _deployment(orch_env, flows_dir, "plain")
    w, stop, t = _start_worker(orch_env, claim_ahead=20.0)
    try:
        (run_id,) = _runs_at(orch_env, dep_id, 1, 15.0)
        _wait(lambda: run_id in w.running)
        pid = w.running[run_id].pid
        with session_scope(orch_env) as s:
            flow_runs.set_flow_run_state(s, run_id, Cancelling())
        _wait(lambda: _rows(orch_env, [run_id])[0].state_type == "CANCELLED", timeout=15)
    finally:
        stop.set()
        t.join(30)
    assert "RUNNING" not in _history(orch_env, run_id)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_failing_plain_run_started_by_its_worker_is_failed_with_its_error(
    orch_env: str, flows_dir: Path
) -> None:
    dep_id = _deployment(orch_env, flows_dir, "boom")
    w, stop, t = _start_worker(orch_env, claim_ahead=20.0)
    try:
        (run_id,) = _runs_at(orch_env, dep_id, 1, 4.0)
        _wait(lambda: _rows(orch_env, [run_id])[0].state_type == "FAILED")
    finally:
        stop.set()
        t.join(30)
    row = _rows(orch_env, [run_id])[0]
    assert "ValueError: boom in the body" in row.state_message
    assert _history(orch_env, run_id) == ["SCHEDULED", "PENDING", "RUNNING", "FAILED"]


def test_shutdown_hands_back_prepared_runs(db_url: str, flows_dir: Path) -> None:
    dep_id = _deployment(db_url, flows_dir, "plain")
    (run_id,) = _runs_at(db_url, dep_id, 1, 20.0)
    w = Worker(client=local_client(db_url), claim_ahead=30.0, shutdown_grace=5)
    try:
        w.run_once()
        assert list(w.running) == [run_id] and w._prepared  # its process prepared, waiting
        assert _rows(db_url, [run_id])[0].state_type == "PENDING"
    finally:
        w.close()
    assert not w.running
    row = _rows(db_url, [run_id])[0]
    assert row.state_type == "SCHEDULED" and row.start_time is None
    assert row.next_scheduled_start_time == row.expected_start_time  # same time, claimable again
    assert "RUNNING" not in _history(db_url, run_id)
