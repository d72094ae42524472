"""Concurrent first use: many processes meeting a database nobody has created yet.

Finding 1 of issue #15: four processes running their first flow on a fresh JUPYTER_ORCH_HOME
crashed in 5 of 8 tries (`table applied_batches already exists`), two servers starting together
on a fresh PostgreSQL database failed in 3 of 6 (`UniqueViolation ... alembic_version`). Each
process here is real and they are released together (a start file they all wait for), so they
reach the empty database within milliseconds of each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jupyter_orch.db.migrate import HEAD_REVISION

# a first flow call: imports, then waits for the start file, then runs a flow with two tasks
FIRST_FLOW = """
import os, sys, time
from jupyter_orch import flow, task

@task
def double(x):
    return 2 * x

@flow
def first(n):
    return sum(double(i) for i in range(n))

go = sys.argv[1]
open(f"{go}.ready.{os.getpid()}", "w").close()  # imported: ready to go
deadline = time.monotonic() + 60
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.001)
assert first(3) == 6
print("ok")
"""


def _run_together(n: int, env: dict[str, str], tmp: Path) -> list[tuple[int, str]]:
    go = tmp / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_FLOW, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(n)
    ]
    # release them once every one has imported jupyter_orch (which opens no database: the first
    # flow call does), so they all meet the empty database at once
    deadline = time.monotonic() + 120
    while len(list(tmp.glob("go.ready.*"))) < n and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.01)
    go.touch()
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        results.append((p.returncode, out))
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_processes_running_their_first_flow_on_a_fresh_home(tmp_path: Path, attempt: int) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env["JUPYTER_ORCH_HOME"] = str(home)
    results = _run_together(6, env, tmp_path)
    failures = [out for code, out in results if code != 0]
    assert not failures, failures[0][-3000:]
    import sqlite3

    with sqlite3.connect(home / "orch.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
        assert conn.execute("SELECT count(*) FROM flow_runs").fetchone() == (6,)


def test_processes_running_their_first_flow_on_a_fresh_postgres_database(
    tmp_path: Path, fresh_pg_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_ORCH_")}
    env["JUPYTER_ORCH_HOME"] = str(tmp_path / "home")
    env["JUPYTER_ORCH_DATABASE_URL"] = fresh_pg_url
    results = _run_together(4, env, tmp_path)
    failures = [out for code, out in results if code != 0]
    assert not failures, failures[0][-3000:]
    engine = create_engine(fresh_pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(HEAD_REVISION,)]
            assert conn.execute(text("SELECT count(*) FROM flow_runs")).scalar() == 4
    finally:
        engine.dispose()
