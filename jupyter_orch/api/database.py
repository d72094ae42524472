"""Sessions for API operations: write transactions and, on SQLite, concurrent read transactions.

`db.session.session_scope` always opens a write transaction (BEGIN IMMEDIATE on SQLite), which
would serialize every GET behind every write. Reads here open a plain BEGIN so that in WAL mode
they run alongside the writer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from jupyter_orch.db.session import get_engine, read_session

_write_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class Database:
    """An engine and its session factory, handed explicitly to whoever runs operations.

    `info` is copied into every session's `Session.info`; operations that need application
    context (e.g. health reporting service status) read it from there.
    """

    def __init__(
        self, url: str | None = None, engine: Engine | None = None, info: dict[str, Any] | None = None
    ) -> None:
        self.engine = engine or get_engine(url)
        self.info: dict[str, Any] = info if info is not None else {}
        self._maker = sessionmaker(bind=self.engine, expire_on_commit=False)
        with _locks_guard:
            self._write_lock = _write_locks.setdefault(str(self.engine.url), threading.Lock())
        self._local = threading.local()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        if write and self.dialect == "sqlite":
            # one writer at a time inside this process: threads queue on a lock instead of spinning
            # in SQLite's busy handler, which sleeps in growing steps and wastes the wait
            with self._write_lock, self._maker(info=dict(self.info)) as session, session.begin():
                yield session
            return
        if write or self.dialect != "sqlite":
            with self._maker(info=dict(self.info)) as session, session.begin():
                yield session
            return
        with read_session(self.engine, dict(self.info)) as session:
            yield session

    @contextmanager
    def thread_session(self) -> Iterator[Session]:
        """`session(write=True)` on this thread's own connection and session, kept between calls:
        a thread that does nothing but write (the group-commit writer) then skips a pool checkout
        and a new Session for every transaction. A failure drops them (the connection may be
        unusable); the next call opens new ones. `release_thread_session` gives them back."""
        session = getattr(self._local, "session", None)
        if session is None:
            conn = self.engine.connect()
            session = Session(bind=conn, info=dict(self.info), expire_on_commit=False)
            self._local.session = session
        lock = self._write_lock if self.dialect == "sqlite" else nullcontext()
        try:
            with lock, session.begin():
                yield session
        except BaseException:
            self.release_thread_session()
            raise
        session.expunge_all()  # the next transaction starts with an empty identity map

    def release_thread_session(self) -> None:
        session = getattr(self._local, "session", None)
        self._local.session = None
        if session is not None:
            conn = session.get_bind()
            session.close()
            conn.close()

    def run(self, fn: Callable[[Session], Any], write: bool = True) -> Any:
        with self.session(write) as session:
            return fn(session)
