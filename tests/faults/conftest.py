"""Fixtures of the fault suite: real worker processes (`jupyter orch worker start`), a flows
directory, waiting on conditions with a deadline (never a fixed sleep), and PostgreSQL databases
nobody has used yet (`fresh_pg_url`: the shared `db_url` database is already migrated, which is
exactly what the first-use tests must not start from)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("ORCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "orch_config(**traits): OrchApp traits of the server under test")


FLOWS = textwrap.dedent(
    """
    import os, time

    def quick():
        return 1

    def once_slow(marker):
        # the first attempt records its pid and hangs; a retry finds the marker and returns
        if os.path.exists(marker):
            return 2
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        time.sleep(3600)

    def sleepy(seconds=1.0, marker=None):
        if marker:
            with open(marker, "a") as f:
                f.write(f"{os.getpid()}\\n")
        time.sleep(float(seconds))
        return 1
    """
)


def wait_for(
    pred: Callable[[], Any], timeout: float = 30.0, what: str = "condition", every: float = 0.1
) -> Any:
    """Poll `pred` until it is truthy (its value is returned); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    d = tmp_path / "flows"
    d.mkdir()
    (d / "flows.py").write_text(FLOWS)
    return d


class WorkerProcess:
    """A `jupyter orch worker start` process; its output goes to a file the test can read."""

    def __init__(
        self, args: list[str], env: dict[str, str], log: Path, prefix: list[str] | None = None
    ) -> None:
        self.log = log
        cmd = [*(prefix or []), sys.executable, "-m", "jupyter_orch.cli", "worker", "start", *args]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGTERM (the worker hands back what it has not started), then its whole group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its run processes, if any are left
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(10)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """start_worker(pool, db_url=..., api_url=..., token=..., extra=[...]) → a running worker."""
    started: list[WorkerProcess] = []

    def start(
        pool: str,
        *,
        db_url: str | None = None,
        api_url: str | None = None,
        token: str | None = None,
        extra: list[str] | None = None,
        prefix: list[str] | None = None,
    ) -> WorkerProcess:
        env = dict(os.environ)
        env.pop("JUPYTER_ORCH_API_URL", None)
        env.pop("JUPYTER_ORCH_API_TOKEN", None)
        env["JUPYTER_ORCH_HOME"] = str(tmp_path / "worker-home")
        if db_url:
            env["JUPYTER_ORCH_DATABASE_URL"] = db_url
        if api_url:
            env["JUPYTER_ORCH_API_URL"] = api_url
            env["JUPYTER_ORCH_API_TOKEN"] = token or ""
        args = ["--pool", pool, "--name", f"{pool}-w{len(started)}", "--poll-interval", "0.1"]
        args += extra or []
        w = WorkerProcess(args, env, tmp_path / f"worker-{len(started)}.log", prefix=prefix)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def _pg_admin(sql: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty PostgreSQL database (no tables, no alembic_version), dropped after the test."""
    name = f"orch_fault_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        if os.environ.get("ORCH_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
