"""Shared fixtures: a real SQLite file and a real PostgreSQL database for every database test.

`db_url` is parametrized over both backends. PostgreSQL gets one fresh database per test process
(so parallel runs never meet) and is truncated between tests; SQLite gets a fresh file per test,
copied from one migrated once per process. Without a reachable PostgreSQL the
PostgreSQL half is skipped loudly, unless ORCH_REQUIRE_POSTGRES is set (CI sets it): then it fails.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jupyter_orch.db import session as db_session
from jupyter_orch.db.models import Base

# jp_fetch, jp_serverapp, ... for the server tests (pytest-jupyter registers no entry point)
pytest_plugins = ["pytest_jupyter.jupyter_server"]

PG_ADMIN_URL = os.environ.get("ORCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}
_home_state: dict[str, str] = {}


def _postgres_url() -> str | None:
    """Create (once per process: each pytest-xdist worker has its own) a private PostgreSQL database."""
    if "url" in _pg_state:
        return _pg_state["url"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under pytest-xdist
    name = f"orch_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # no server here
        if os.environ.get("ORCH_REQUIRE_POSTGRES"):
            raise RuntimeError(f"PostgreSQL is required but unreachable: {exc}") from exc
        warnings.warn(f"PostgreSQL unreachable, its tests are SKIPPED: {exc}", stacklevel=1)
        _pg_state["url"] = None
        return None
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    _pg_state["url"] = f"{base}/{name}"
    _pg_state["name"] = name
    return _pg_state["url"]


def pytest_configure(config: pytest.Config) -> None:
    """Every test process gets its own JUPYTER_ORCH_HOME: a test that runs a flow without a database
    fixture must not write the user's ~/.jupyter_orch (nor see what another checkout migrated it to)."""
    _home_state["home"] = tempfile.mkdtemp(prefix="orch-test-home-")
    os.environ["JUPYTER_ORCH_HOME"] = _home_state["home"]
    os.environ.pop("JUPYTER_ORCH_DATABASE_URL", None)
    os.environ.pop("JUPYTER_ORCH_API_URL", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    home = _home_state.pop("home", None)
    if home:
        shutil.rmtree(home, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    name = _pg_state.get("name")
    if not name:
        return
    db_session.dispose_all()
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    except Exception:
        pass


def _truncate(url: str) -> None:
    engine = db_session.get_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process, checkpointed and closed.

    Each SQLite `db_url` is a copy of it: the same bytes the migrations write, without running
    them again for every test (~60 ms each); a copy that were not at head would be upgraded by
    `get_engine` as before. `sqlite_url` stays a fresh, unmigrated file.
    """
    path = tmp_path_factory.mktemp("sqlite-template") / "orch.db"
    url = f"sqlite:///{path}"
    db_session.get_engine(url).dispose()
    with closing(sqlite3.connect(path)) as conn:  # the whole log into the file: one file to copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "orch.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        pg = _postgres_url()
        if pg is None:
            pytest.skip("PostgreSQL unreachable (set ORCH_REQUIRE_POSTGRES to make this a failure)")
        url = pg
        db_session.get_engine(url)
        _truncate(url)
    db_session.get_engine(url)
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'orch.db'}"


@pytest.fixture
def orch_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the embedded client (the engine's default) at `db_url` with a private home."""
    home = tmp_path / "home"
    monkeypatch.setenv("JUPYTER_ORCH_HOME", str(home))
    monkeypatch.setenv("JUPYTER_ORCH_DATABASE_URL", db_url)
    monkeypatch.delenv("JUPYTER_ORCH_API_URL", raising=False)
    monkeypatch.delenv("JUPYTER_ORCH_API_TOKEN", raising=False)
    _reset_client()
    yield db_url
    _reset_client()


def _reset_client() -> None:
    """Drop the process-wide engine client so the next flow call reads the environment again."""
    try:
        from jupyter_orch.client import reset_client
    except ImportError:
        return
    reset_client()
