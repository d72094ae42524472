"""Engines and sessions: one engine per URL per process, SQLite tuned for concurrent use.

SQLite gets WAL (readers never block the writer), a busy timeout (writers wait instead of failing
with "database is locked") and `BEGIN IMMEDIATE` for write transactions, so a read-then-write
transaction never deadlocks on lock upgrade. The schema is upgraded on first use.

Writers of one SQLite file also queue on an OS file lock (`flock` on `<file>-writelock`) before
BEGIN IMMEDIATE: the kernel wakes the next writer as soon as one is done, where SQLite's busy
handler makes each waiter sleep in growing steps (up to 100 ms) and, with hundreds of processes
writing at once (runs starting at the same second), turns the lock into a convoy.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_makers: dict[str, sessionmaker[Session]] = {}
_upgraded: set[str] = set()
_lock = threading.RLock()


class _WriterQueue:
    """A cross-process writer lock for one SQLite file: a thread lock, then `flock` on a file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._fd = -1
        self._pid = -1
        self._depth = 0

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._pid != os.getpid():  # first use, or a forked child: its own open file
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
                self._depth = 0
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        if self._depth > 0 and self._pid == os.getpid():
            self._depth -= 1
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._thread_lock.release()


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    queue = None
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        queue = _WriterQueue(str(Path(parsed.database).expanduser()) + "-writelock")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=10,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # take over transaction control so we can issue BEGIN IMMEDIATE ourselves
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        write = conn.info.get("write", True)
        if write and queue is not None:
            queue.acquire()
            conn.info["_queued"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
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
        from jupyter_orch.settings import get_settings

        url = get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            _engines[url] = engine
        if upgrade and url not in _upgraded:
            from jupyter_orch.db.migrate import ensure_schema

            ensure_schema(engine)
            _upgraded.add(url)
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


def dispose_all() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _makers.clear()
        _upgraded.clear()


def forget_upgrade(url: str) -> None:
    _upgraded.discard(url)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
