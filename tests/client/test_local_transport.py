"""The in-process transport's plain-SQL path (`client/plain_ops.py` over `orchestration.sqlwrite`):
it writes the same rows as the route table's operations through the SQLAlchemy store, a first
call imports neither SQLAlchemy nor Alembic, a database not at head is still migrated, and
state-change hooks still run."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch import client as client_mod
from jupyter_orch import flow, get_run_logger, task
from jupyter_orch.client import OrchClient, local_client
from jupyter_orch.client.local import LocalTransport
from jupyter_orch.db import migrate
from jupyter_orch.db.models import Base, Timestamp
from jupyter_orch.db.session import get_engine, session_scope
from jupyter_orch.orchestration import sqlwrite, state_hooks
from jupyter_orch.orchestration.state_hooks import StateHook
from jupyter_orch.orchestration.store import flow_runs, notifications
from jupyter_orch.states import State

REPO = Path(__file__).resolve().parents[2]
TS_TEXT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@task(retries=1)
def flaky(box: dict) -> int:
    box["n"] += 1
    if box["n"] == 1:
        raise ValueError("first try fails")
    get_run_logger().info("second try works")
    return box["n"]


@task
def add(a: int, b: int) -> int:
    return a + b


@flow
def child(x: int) -> int:
    return add(x, 1)


@flow
def parent(x: int) -> int:
    y = flaky({"n": 0})
    f = add.submit(x, y)
    return child(f.result()) + add(1, 1, wait_for=[f])


def _run_with(client: Any) -> None:
    client_mod.reset_client()
    client_mod._client = client
    try:
        assert parent(1) == 6
    finally:
        client_mod.reset_client()


def _dump(db_file: Path) -> dict[str, list[tuple]]:
    """Every engine table, ids replaced by their order of appearance, timestamps checked for
    SQLAlchemy's text format and replaced by a marker: what must be equal between the paths."""
    conn = sqlite3.connect(db_file)
    ids: dict[str, str] = {}

    def norm(value: Any) -> Any:
        if isinstance(value, float):  # run times: measured, so only their sign is comparable
            return value > 0
        if isinstance(value, str):
            if UUID.match(value):
                return ids.setdefault(value, f"id{len(ids)}")
            if TS_TEXT.match(value):
                return "<ts>"
            if re.match(r"^\d{4}-\d\d-\d\dT", value):  # inside JSON: ISO text
                return "<iso>"
            assert not re.match(r"^\d{4}-\d\d-\d\d", value), f"timestamp in an unexpected format: {value}"
            if value.startswith(("{", "[")):
                return json.dumps(norm(json.loads(value)), sort_keys=True)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    out = {}
    for table, order in (
        ("flows", "name"),
        ("flow_runs", "created"),
        ("flow_run_states", "timestamp, type"),
        ("task_runs", "created, dynamic_key"),
        ("task_run_states", "timestamp, type"),
        ("task_run_edges", "id"),
        ("logs", "id"),
    ):
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        rows = conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
        out[table] = [
            tuple((c, norm(v)) for c, v in zip(cols, row, strict=True) if c not in ("name", "message"))
            if table in ("flow_runs", "logs", "task_runs")
            else tuple((c, norm(v)) for c, v in zip(cols, row, strict=True))
            for row in rows
        ]
        # run names are generated from random ids and log messages carry them: checked apart
        if table in ("flow_runs", "logs", "task_runs"):
            out[table + ".name"] = sorted(r[0] for r in conn.execute(f"SELECT name FROM {table}"))
    conn.close()
    return out


def test_sqlite_path_writes_the_same_rows_as_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_ORCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("JUPYTER_ORCH_API_URL", raising=False)
    lite_file, store_file = tmp_path / "lite.db", tmp_path / "store.db"
    lite_url, store_url = f"sqlite:///{lite_file}", f"sqlite:///{store_file}"
    get_engine(store_url)
    get_engine(lite_url)

    _run_with(local_client(lite_url))
    _run_with(OrchClient(LocalTransport(store_url, plain=False)))

    a, b = _dump(lite_file), _dump(store_file)
    assert len(a["flow_runs"]) == 2 and len(a["task_runs"]) == 5 and len(a["task_run_edges"]) == 1
    assert {len(a[k]) for k in a} and {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
    for table in a:
        if table.endswith(".name"):
            continue
        diff = [
            (table, i, x, y)
            for i, (row_a, row_b) in enumerate(zip(a[table], b[table], strict=True))
            for x, y in zip(row_a, row_b, strict=True)
            if x != y
        ]
        assert diff == []


def test_sqlwrite_tables_match_the_models() -> None:
    from sqlalchemy import JSON

    for name, columns in sqlwrite.TABLES.items():
        table = Base.metadata.tables[name]
        kinds = {}
        for col in table.columns:
            if isinstance(col.type, Timestamp):
                kinds[col.key] = sqlwrite.TS
            elif isinstance(col.type, JSON) or getattr(col.type, "_variant_mapping", None):
                kinds[col.key] = sqlwrite.JSON
            else:
                kinds[col.key] = None
        for col, kind in columns:
            assert kinds[col] == kind, (name, col)
        if name in ("task_runs", "task_run_states", "flow_run_states"):
            assert {c for c, _ in columns} == set(kinds), name  # full rows
        if name in ("task_run_edges", "logs"):
            assert {c for c, _ in columns} == set(kinds) - {"id"}, name  # id assigned by the database


def test_state_hooks_are_registered_in_one_place() -> None:
    """Importing the store or the services registers nothing: the hooks are `STATE_HOOKS`."""
    import jupyter_orch.orchestration.store  # noqa: F401
    import jupyter_orch.services  # noqa: F401

    kinds = [type(h) for h in state_hooks.STATE_HOOKS]
    assert kinds == [state_hooks.ReleaseConcurrencySlots, state_hooks.QueueNotifications]
    assert not hasattr(flow_runs, "STATE_CHANGE_HOOKS")


def test_hooks_with_work_run_on_the_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "orch.db"
    url = f"sqlite:///{db_file}"
    monkeypatch.setenv("JUPYTER_ORCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JUPYTER_ORCH_DATABASE_URL", url)
    monkeypatch.delenv("JUPYTER_ORCH_API_URL", raising=False)
    with session_scope(url) as s:
        notifications.create_policy(s, "all", "ui", state_names=["Completed"])
    client_mod.reset_client()
    try:
        transport = client_mod.get_client().transport
        assert transport.db_file == str(db_file)
        assert child(1) == 2
        assert transport._database is None  # the plain path queued it: the route table never ran
    finally:
        client_mod.reset_client()
    conn = sqlite3.connect(db_file)
    (run_id,) = conn.execute("SELECT id FROM flow_runs").fetchone()
    rows = conn.execute("SELECT flow_run_id, channel FROM notification_deliveries").fetchall()
    assert rows == [(run_id, "ui")]


class _Spy(StateHook):
    def __init__(self, work: bool) -> None:
        self.work = work
        self.seen: list[str] = []

    def has_work(self, conn: Any, d: Any, new: State) -> bool:
        return self.work

    def run(self, conn: Any, d: Any, run: Any, initial: State | None, new: State) -> None:
        self.seen.append(new.type.value)


@pytest.mark.parametrize("plain", [True, False])
def test_every_writer_runs_the_hooks_that_have_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'orch.db'}"
    busy, idle = _Spy(True), _Spy(False)
    monkeypatch.setattr(state_hooks, "STATE_HOOKS", (*state_hooks.STATE_HOOKS, busy, idle))
    get_engine(url)
    _run_with(OrchClient(LocalTransport(url, plain=plain)))
    # the child flow's and the parent's: created PENDING, RUNNING, COMPLETED each
    assert busy.seen.count("PENDING") == 2 and busy.seen.count("RUNNING") == 2
    assert busy.seen.count("COMPLETED") == 2 and idle.seen == []


def _fresh_process(home: Path, code: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env.update(JUPYTER_ORCH_HOME=str(home), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


FIRST_CALL = """
import json, sys
from jupyter_orch import flow, task

@task
def double(x):
    return 2 * x

@flow
def hello(x: int = 2):
    return double(x)

assert hello() == 4
print(json.dumps({"sqlalchemy": "sqlalchemy" in sys.modules, "alembic": "alembic" in sys.modules}))
"""


def _counts(db_file: Path) -> tuple:
    conn = sqlite3.connect(db_file)
    try:
        return (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()[0],
            conn.execute("SELECT count(*) FROM flow_runs WHERE state_type = 'COMPLETED'").fetchone()[0],
            conn.execute("SELECT count(*) FROM task_run_states").fetchone()[0],
        )
    finally:
        conn.close()


def test_first_call_on_an_existing_database_imports_no_sqlalchemy(tmp_path: Path) -> None:
    home = tmp_path / "home"
    get_engine(f"sqlite:///{home / 'orch.db'}")  # an existing database at head
    assert _fresh_process(home, FIRST_CALL) == {"sqlalchemy": False, "alembic": False}
    assert _counts(home / "orch.db") == (migrate.HEAD_REVISION, 1, 3)


def test_first_call_migrates_a_database_not_at_head(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'orch.db'}"
    home.mkdir()
    from sqlalchemy import create_engine

    engine = create_engine(url)
    migrate.upgrade(engine, "0002_applied_batches")
    engine.dispose()
    assert migrate.sqlite_revision(sqlite3.connect(home / "orch.db")) == "0002_applied_batches"
    assert _fresh_process(home, FIRST_CALL)["alembic"] is True
    assert _counts(home / "orch.db") == (migrate.HEAD_REVISION, 1, 3)
    # and a new database is created at head
    other = tmp_path / "other"
    _fresh_process(other, FIRST_CALL)
    assert _counts(other / "orch.db") == (migrate.HEAD_REVISION, 1, 3)


def test_sqlwrite_flow_run_path_on_both_databases(db_url: str) -> None:
    """The plain-SQL flow-run create and compare-and-set give what the store gives, on the raw
    DB-API connection of either database."""
    from jupyter_orch.states import Completed, Failed, Pending, Running

    with session_scope(db_url) as s:
        raw = s.connection().connection.dbapi_connection
        d = sqlwrite.dialect(s.get_bind().dialect.name)
        values = sqlwrite.create_flow_run(
            raw,
            d,
            flow_name="sql-path",
            parameters={"x": 1},
            state=Pending(),
            empirical_policy={"retries": 1},
        )
    run_id = values["id"]
    with session_scope(db_url) as s:
        d = sqlwrite.dialect(s.get_bind().dialect.name)
        raw = s.connection().connection.dbapi_connection
        assert sqlwrite.set_flow_run_state(raw, d, run_id, Running()).status == "ACCEPT"
        # the retry rule answers as in the store: REJECT with AwaitingRetry
        decision = sqlwrite.set_flow_run_state(raw, d, run_id, Failed(message="boom"))
        assert decision.status == "REJECT" and decision.state.name == "AwaitingRetry"
    with session_scope(db_url) as s:
        run = flow_runs.read_flow_run(s, run_id)
        assert (
            run.flow_name == "sql-path" and run.parameters == {"x": 1} and run.state_name == "AwaitingRetry"
        )
        assert run.run_count == 1 and run.next_scheduled_start_time is not None
        assert len(flow_runs.flow_run_states(s, run_id)) == 3
        # the store continues from what the plain-SQL path wrote
        assert flow_runs.set_flow_run_state(s, run_id, Pending()).status == "ACCEPT"
        assert flow_runs.set_flow_run_state(s, run_id, Running()).status == "ACCEPT"
    with session_scope(db_url) as s:
        d = sqlwrite.dialect(s.get_bind().dialect.name)
        raw = s.connection().connection.dbapi_connection
        assert sqlwrite.set_flow_run_state(raw, d, run_id, Completed()).status == "ACCEPT"
        assert sqlwrite.set_flow_run_state(raw, d, run_id, Running()).status == "ABORT"
    with session_scope(db_url) as s:
        run = flow_runs.read_flow_run(s, run_id)
        assert run.state_type == "COMPLETED" and run.run_count == 2 and run.end_time is not None
        assert run.total_run_time > 0 and run.end_time.tzinfo is not None


def test_only_plain_sqlite_file_urls_take_the_sqlite3_path() -> None:
    from jupyter_orch.db.sqlite import file_of

    assert file_of("sqlite:////abs/orch.db") == "/abs/orch.db"
    assert file_of("sqlite:///rel/orch.db") == "rel/orch.db"
    assert file_of("sqlite:///my%20dir/orch.db") == "my dir/orch.db"
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///x.db?mode=ro", "sqlite+pysqlite:///x.db"):
        assert file_of(url) is None, url
    assert file_of("postgresql+psycopg://u@h/db") is None


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orch.db'}"
    get_engine(url)
    client = local_client(url)
    plain = client.transport._plain
    try:
        parent_conn = plain.connection()
        assert client.limited_tags() == frozenset()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit code
            ok = plain.connection() is not parent_conn and client.limited_tags() == frozenset()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert plain.connection() is parent_conn
    finally:
        client.close()


def test_a_batch_with_a_partial_row_is_rolled_back_and_written_by_the_route(tmp_path: Path) -> None:
    """Edges have no conflict key: a half-written batch that fell back would duplicate them."""
    url = f"sqlite:///{tmp_path / 'orch.db'}"
    get_engine(url)
    client = local_client(url)
    try:
        run = client.create_flow_run(flow_name="partial", state=State("PENDING"))
        edge = {"flow_run_id": run["id"], "upstream_id": "a", "downstream_id": "b", "kind": "data"}
        partial_log = {"flow_run_id": run["id"], "message": "no level, name or timestamp"}
        batch = {"task_runs": [], "task_run_states": [], "edges": [edge], "logs": [partial_log]}
        client.apply_task_run_batch(batch)
    finally:
        client.close()
    conn = sqlite3.connect(tmp_path / "orch.db")
    assert conn.execute("SELECT count(*) FROM task_run_edges").fetchone() == (1,)
    assert conn.execute("SELECT level, name FROM logs").fetchall() == [(20, "jupyter_orch")]


def test_large_batches_are_written_whole_and_in_order(tmp_path: Path) -> None:
    """SQLite gets many rows per INSERT (chunks, then powers of two): every row, in order."""
    from datetime import timedelta

    from jupyter_orch.states import utcnow

    url = f"sqlite:///{tmp_path / 'orch.db'}"
    get_engine(url)
    client = local_client(url)
    n = sqlwrite.MULTIROW_MAX_ROWS * 2 + 91  # two full chunks, then 64 + 16 + 8 + 2 + 1
    now = utcnow()
    logs = [
        {
            "flow_run_id": None,
            "task_run_id": None,
            "name": "bulk",
            "level": 20,
            "message": f"m{i}",
            "timestamp": now + timedelta(microseconds=i),
        }
        for i in range(n)
    ]
    try:
        client.apply_task_run_batch({"logs": logs})
    finally:
        client.close()
    conn = sqlite3.connect(tmp_path / "orch.db")
    rows = conn.execute("SELECT message, timestamp FROM logs ORDER BY id").fetchall()
    assert [m for m, _ in rows] == [f"m{i}" for i in range(n)]
    assert [t for _, t in rows] == [sqlwrite.sqlite_ts(r["timestamp"]) for r in logs]
