"""Engines and sessions: one engine per URL per process, SQLite tuned for concurrent use.

SQLite gets WAL (readers never block the writer), a busy timeout (writers wait instead of failing
with "database is locked") and `BEGIN IMMEDIATE` for write transactions, so a read-then-write
transaction never deadlocks on lock upgrade. The schema is upgraded on first use (`db.migrate`,
which this module calls and which never imports it).

Writers of one SQLite file also queue on an OS file lock before BEGIN IMMEDIATE (`db/sqlite.py`,
shared with the engine's SQLAlchemy-free path).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from jupyter_orch.db import migrate
from jupyter_orch.db.sqlite import SQLITE_BUSY_TIMEOUT_MS, configure, writer_queue
from jupyter_orch.settings import get_settings

_engines: dict[str, Engine] = {}
_makers: dict[str, sessionmaker[Session]] = {}
_lock = threading.RLock()


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    queue = None
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        queue = writer_queue(parsed.database)  # shared with the engine's sqlite3 path
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=10,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # take over transaction control so we can issue BEGIN IMMEDIATE ourselves
        configure(dbapi_conn, parsed.database if queue is not None else None)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        write = conn.info.get("write", True)
        if write and queue is not None:
            queue.acquire()
            conn.info["_queued"] = True
        sql = "BEGIN IMMEDIATE" if write else "BEGIN"
        try:
            # on the DB-API connection itself: SQLAlchemy's execution path would cost more than
            # the statement (this runs for every transaction); its errors are wrapped as SQLAlchemy
            # would, so a busy database still reads as an OperationalError upstream
            conn.connection.dbapi_connection.execute(sql)
        except sqlite3.Error as exc:
            _dequeue(conn)
            raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc
        except BaseException:
            _dequeue(conn)
            raise

    def _dequeue(conn):  # type: ignore[no-untyped-def]
        if conn.info.pop("_queued", False):
            queue.release()  # type: ignore[union-attr]

    # just before COMMIT/ROLLBACK: the next writer's BEGIN IMMEDIATE may retry once, briefly
    event.listen(engine, "commit", _dequeue)
    event.listen(engine, "rollback", _dequeue)

    return engine


def get_engine(url: str | None = None, upgrade: bool = True) -> Engine:
    """The process-wide engine for `url` (default: the configured database), upgraded to head."""
    if url is None:
        url = get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            _engines[url] = engine
        if upgrade:
            migrate.ensure_schema(engine)  # once per engine; under the database's schema lock
    return engine


def sessionmaker_for(url: str | None = None) -> sessionmaker[Session]:
    engine = get_engine(url)
    key = str(engine.url)
    maker = _makers.get(key)
    if maker is None:
        maker = sessionmaker(bind=engine, expire_on_commit=False)
        _makers[key] = maker
    return maker


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in a transaction: committed on success, rolled back on error."""
    session = sessionmaker_for(url)()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


@contextmanager
def read_scope(url: str | None = None) -> Iterator[Session]:
    """A session for reading only on the engine of `url` (see `read_session`)."""
    with read_session(get_engine(url)) as session:
        yield session


@contextmanager
def read_session(engine: Engine, info: dict[str, Any] | None = None) -> Iterator[Session]:
    """A session for reading only: on SQLite a plain BEGIN, so it neither queues behind the
    writers nor holds them up (WAL readers see the last commit); elsewhere a normal transaction."""
    with engine.connect() as conn:
        conn.info["write"] = False
        try:
            with Session(bind=conn, info=info or {}, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            conn.info.pop("write", None)


def dispose_all() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _makers.clear()
    migrate.forget()


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
