"""Group commit: concurrent writes share one transaction, each in a savepoint, answered after commit."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import Future

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from jupyter_orch.api.database import Database
from jupyter_orch.api.errors import Unavailable
from jupyter_orch.api.routing import PASS
from jupyter_orch.api.writer import GroupCommitWriter
from jupyter_orch.db.models import FlowRun
from jupyter_orch.db.sqlite import connect, write_transaction, writer_queue
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.orchestration.store import flow_runs

pytestmark = pytest.mark.postgres


def _create(name: str):  # noqa: ANN202
    return lambda session: flow_runs.insert_flow_run(session, flow_name="gc", name=name)["id"]


def _names(db: Database) -> list[str]:
    with db.session(write=False) as session:
        return sorted(session.scalars(select(FlowRun.name)))


@pytest.fixture
def held(db_url: str):  # noqa: ANN201
    """A writer whose thread is blocked in a first operation until `release` is set, so that the
    operations submitted meanwhile queue up and are committed as one batch."""
    db = Database(db_url)
    writer = GroupCommitWriter(db)
    started, release = threading.Event(), threading.Event()

    def block(session: Session) -> str:
        started.set()
        release.wait(10)
        return "first"

    first = writer.submit(block)
    assert started.wait(10)
    yield db, writer, release, first
    release.set()
    writer.stop()


def test_concurrent_writes_commit_together(held):
    db, writer, release, first = held
    futures = [writer.submit(_create(f"run-{i}")) for i in range(20)]
    assert not any(f.done() for f in futures)
    release.set()
    ids = [f.result(10) for f in futures]
    assert first.result(10) == "first"
    assert len(set(ids)) == 20
    assert _names(db) == sorted(f"run-{i}" for i in range(20))
    assert writer.operations == 21
    assert writer.batches == 2  # the blocking one alone, then the 20 queued behind it in one commit


def test_a_failing_write_fails_alone(held):
    db, writer, release, _ = held

    def bad(session: Session) -> None:
        flow_runs.insert_flow_run(session, flow_name="gc", name="rolled-back")  # undone with its savepoint
        raise Invalid("nope", field="x")

    def dup(session: Session) -> None:  # a constraint violation inside the batch's transaction
        flow_runs.insert_flow_run(session, flow_name="gc", name="dup-a", id=fixed_id)
        flow_runs.insert_flow_run(session, flow_name="gc", name="dup-b", id=fixed_id)

    fixed_id = "00000000-0000-4000-8000-000000000001"
    futures = [
        writer.submit(_create("a")),
        writer.submit(bad),
        writer.submit(dup),
        writer.submit(_create("b")),
    ]
    release.set()
    assert isinstance(futures[0].result(10), str)
    with pytest.raises(Invalid):
        futures[1].result(10)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        futures[2].result(10)
    assert isinstance(futures[3].result(10), str)
    assert _names(db) == ["a", "b"]
    assert writer.batches == 2


def test_a_deadlock_victim_is_run_again_alone(held):
    """An operation failing with an error another transaction caused is run again after the batch."""
    db, writer, release, _ = held
    tries: list[int] = []

    def victim(session: Session) -> str:
        tries.append(1)
        run_id = flow_runs.insert_flow_run(session, flow_name="gc", name="victim")["id"]
        if len(tries) == 1:
            raise OperationalError("UPDATE", {}, _Deadlock("deadlock detected"))
        return run_id

    futures = [writer.submit(_create("x")), writer.submit(victim), writer.submit(_create("y"))]
    release.set()
    assert all(isinstance(f.result(10), str) for f in futures)
    assert len(tries) == 2
    assert _names(db) == ["victim", "x", "y"]


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_failed_commit_reruns_each_write_alone(held, monkeypatch):
    """If the batch cannot commit, nothing of it was written: each write runs again on its own."""
    db, writer, release, _ = held
    real_session = Database.thread_session
    failures = iter([True])

    def session(self):  # noqa: ANN001, ANN202 - the first batch's commit fails
        cm = real_session(self)
        if next(failures, False):

            class Failing:
                def __enter__(self):  # noqa: ANN204
                    self.session = cm.__enter__()
                    return self.session

                def __exit__(self, *exc):  # noqa: ANN002, ANN204
                    cm.__exit__(OperationalError, OperationalError("COMMIT", {}, Exception("disk I/O")), None)
                    raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

            return Failing()
        return cm

    futures = [writer.submit(_create(f"r{i}")) for i in range(5)]
    monkeypatch.setattr(Database, "thread_session", session)
    release.set()
    assert all(isinstance(f.result(10), str) for f in futures)
    assert _names(db) == [f"r{i}" for i in range(5)]


def test_answered_only_after_commit(db_url: str):
    """A result is visible to another connection the moment its future resolves."""
    db = Database(db_url)
    writer = GroupCommitWriter(db)
    try:
        seen: list[bool] = []

        def check(fut: Future) -> None:
            with db.engine.connect() as conn:
                seen.append(
                    conn.execute(select(FlowRun.id).where(FlowRun.id == fut.result())).first() is not None
                )

        futures = [writer.submit(_create(f"v{i}")) for i in range(30)]
        for f in futures:
            f.add_done_callback(check)
        for f in futures:
            f.result(10)
    finally:
        writer.stop()  # the last callbacks run on the writer thread: wait for them
    assert seen == [True] * 30


def test_stop_runs_what_is_queued(db_url: str):
    db = Database(db_url)
    writer = GroupCommitWriter(db)
    futures = [writer.submit(_create(f"s{i}")) for i in range(10)]
    writer.stop()
    assert all(f.done() and not f.exception() for f in futures)
    with pytest.raises(Unavailable):
        writer.submit(_create("late"))


async def test_concurrent_http_writes_all_answered_and_durable(api):
    """50 concurrent creates and their transitions over HTTP: every one answered and stored."""
    created = await asyncio.gather(
        *[api("POST", "flow_runs", body={"flow_name": "gc-http"}) for _ in range(50)]
    )
    assert Counter(status for status, _ in created) == {201: 50}
    ids = [run["id"] for _, run in created]
    moved = await asyncio.gather(
        *[api("POST", f"flow_runs/{i}/set_state", body={"state": {"type": "RUNNING"}}) for i in ids],
        api("POST", "flow_runs/not-a-run/set_state", body={"state": {"type": "RUNNING"}}),
    )
    assert [s for s, _ in moved] == [200] * 50 + [404]
    assert {b["status"] for _, b in moved[:50]} == {"ACCEPT"}
    status, page = await api("GET", "flow_runs", params={"flow_name": "gc-http", "limit": 100})
    assert status == 200
    assert sorted(r["id"] for r in page["items"]) == sorted(ids)
    assert {r["state_type"] for r in page["items"]} == {"RUNNING"}


async def test_hot_writes_run_the_plain_sql_path_and_the_hooks(api, jp_serverapp, monkeypatch):
    """Creates and transitions run through `RunWriter` (the one write path) as the writer's
    plain-SQL operations, with or without a state hook having work: with a notification policy
    present, the hook queues the delivery on the plain connection too."""
    from jupyter_orch.orchestration import sqlwrite

    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_orch"]
    writer: GroupCommitWriter = app.writer

    calls: Counter = Counter()
    for name in ("create_flow_run", "set_flow_run_state"):
        real = getattr(sqlwrite, name)

        def counted(*args, _real=real, _name=name, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(sqlwrite, name, counted)
    status, run = await api(
        "POST", "flow_runs", body={"flow_name": "hot", "tags": ["a"], "parameters": {"x": 1}}
    )
    assert (
        status == 201
        and run["tags"] == ["a"]
        and run["parameters"] == {"x": 1}
        and run["state_type"] == "PENDING"
    )
    status, read = await api("GET", f"flow_runs/{run['id']}")
    assert read == {**run, "updated": read["updated"]}
    status, decision = await api(
        "POST", f"flow_runs/{run['id']}/set_state", body={"state": {"type": "RUNNING"}}
    )
    assert status == 200 and decision["status"] == "ACCEPT"
    assert calls == {"create_flow_run": 1, "set_flow_run_state": 1}
    assert writer.plain_operations == 2  # the server's database here is a SQLite file

    status, _ = await api(
        "POST", "notifications", body={"name": "f", "channel": "ui", "state_names": ["Failed"]}
    )
    assert status == 201
    status, run2 = await api("POST", "flow_runs", body={"flow_name": "hot", "name": "hot-2"})
    for state in ("RUNNING", "FAILED"):
        status, decision = await api(
            "POST", f"flow_runs/{run2['id']}/set_state", body={"state": {"type": state}}
        )
        assert status == 200 and decision["status"] == "ACCEPT"
    assert calls == {"create_flow_run": 2, "set_flow_run_state": 3}
    assert writer.plain_operations == 5  # the hook had work and ran on the plain connection
    status, page = await api("GET", "notifications/deliveries", params={"flow_run_id": run2["id"]})
    assert status == 200 and [d["channel"] for d in page["items"]] == ["ui"]
    status, messages = await api("GET", "notifications/messages")
    items = messages["items"] if isinstance(messages, dict) else messages
    assert any("hot-2" in str(m) for m in items), items


def test_the_writer_thread_keeps_its_session_and_a_failure_drops_it(db_url: str):
    """`thread_session`: one connection and session per thread, kept across transactions; a
    transaction that fails is rolled back and its session dropped; release gives the connection back."""
    db = Database(db_url)
    pool = db.engine.pool
    checked_out = pool.checkedout()
    with db.thread_session() as first:
        _create("a")(first)
    with db.thread_session() as again:
        _create("b")(again)
    assert again is first and pool.checkedout() == checked_out + 1

    other: list[Session] = []

    def elsewhere() -> None:
        with db.thread_session() as session:
            other.append(session)
        db.release_thread_session()

    t = threading.Thread(target=elsewhere)
    t.start()
    t.join(10)
    assert other and other[0] is not first  # each thread its own

    with pytest.raises(Invalid), db.thread_session() as session:
        _create("lost")(session)
        raise Invalid("no", field="x")
    with db.thread_session() as fresh:
        _create("c")(fresh)
    assert fresh is not first
    assert _names(db) == ["a", "b", "c"]
    db.release_thread_session()
    assert pool.checkedout() == checked_out


def test_a_lone_write_runs_its_plain_form_on_sqlite(db_url: str):
    """A lone operation with a plain-SQL form runs that form on the writer's own `sqlite3`
    connection (committed); `PASS` or an error (rolled back) hands it to the session operation;
    on PostgreSQL the session operation always runs."""
    db = Database(db_url)
    writer = GroupCommitWriter(db)
    sqlite = db.dialect == "sqlite"

    def plain_create(conn, dialect):  # noqa: ANN001, ANN202
        return sqlwrite.create_flow_run(conn, dialect, flow_name="gc", name="plain", state=None)["id"]

    def plain_fails(conn, dialect):  # noqa: ANN001, ANN202
        sqlwrite.create_flow_run(conn, dialect, flow_name="gc", name="rolled-back", state=None)
        raise NotFound("not here", field="id")

    try:
        plain_id = writer.submit(_create("session"), plain_create).result(10)
        assert writer.submit(_create("passed"), lambda conn, dialect: PASS).result(10)
        assert writer.submit(_create("after-failure"), plain_fails).result(10)
        assert writer.submit(_create("no-plain-form")).result(10)
    finally:
        writer.stop()
    expected = ["after-failure", "no-plain-form", "passed"]
    assert _names(db) == sorted([*expected, "plain" if sqlite else "session"])
    assert writer.plain_operations == (1 if sqlite else 0) and writer.operations == 4
    with db.session(write=False) as session:
        assert session.get(FlowRun, plain_id) is not None


def test_plain_create_writes_what_the_store_writes(db_url: str):
    """`create_flow_run_plain` and the store's create answer the same run for the same body."""
    from jupyter_orch.api.models import StateIn
    from jupyter_orch.api.resources.flow_runs import FlowRunCreate, create_flow_run, create_flow_run_plain

    if not db_url.startswith("sqlite"):
        pytest.skip("the plain form runs on SQLite files")
    db = Database(db_url)
    body = FlowRunCreate(
        flow_name="same",
        tags=["a", "b"],
        parameters={"x": [1, 2]},
        state=StateIn(type="SCHEDULED", scheduled_time="2030-01-01T00:00:00Z"),
        work_pool_name="pool",
        work_queue_name="q",
        job_variables={"image": "x"},
        empirical_policy={"retries": 2},
        parameter_schema={"type": "object"},
    )
    with db.session() as session:
        stored = create_flow_run(session, None, body)
    conn = connect(db_url[len("sqlite:///") :])
    try:
        with write_transaction(conn, writer_queue(db_url[len("sqlite:///") :])):
            plain = create_flow_run_plain(conn, sqlwrite.dialect("sqlite"), None, body)
    finally:
        conn.close()
    per_run = {"id", "name", "state_id", "state_timestamp", "created", "updated", "state"}
    assert set(plain) == set(stored)
    assert {k: v for k, v in plain.items() if k not in per_run} == {
        k: v for k, v in stored.items() if k not in per_run
    }
    assert plain["state"]["type"] == stored["state"]["type"] == "SCHEDULED"
    with db.session() as session:  # a flow-id request needs the store's check: the plain form passes
        conn = session.connection().connection.driver_connection
        body_by_id = FlowRunCreate(flow_id=stored["flow_id"])
        assert create_flow_run_plain(conn, sqlwrite.dialect("sqlite"), None, body_by_id) is PASS
