"""One process's own `sqlite3` connection to the database file, for writes as plain SQL.

The commonest run writes (a flow-run create, a state change, a batch of task runs) cost markedly
less on a DB-API connection than through SQLAlchemy's session and transaction machinery. The
connection is opened as SQLAlchemy's are (`db/sqlite.py`: WAL, busy timeout) and every write is
BEGIN IMMEDIATE behind the same cross-process writer queue. A forked child opens its own. The
schema check reads `alembic_version` directly; only a database that is not at head goes
through Alembic (and SQLAlchemy).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_orch.db import migrate
from jupyter_orch.db import sqlite as sqlite_db

log = logging.getLogger(__name__)


class PlainSQLite:
    """A lazily opened `sqlite3` connection with write transactions (thread-safe to share: the
    writer queue serializes transactions; the connection is opened with `check_same_thread=False`)."""

    def __init__(self, db_file: str, database_url: str | None = None) -> None:
        self.db_file = db_file
        self.database_url = database_url or f"sqlite:///{db_file}"
        self.queue = sqlite_db.writer_queue(db_file)
        self._conn: Any = None
        self._pid = -1
        self._lock = threading.Lock()

    def connection(self) -> Any:
        """The connection of this process (opened, and the schema brought to head, on first use)."""
        conn = self._conn
        if conn is None or self._pid != os.getpid():  # first use, or a forked child: its own
            with self._lock:
                if self._conn is None or self._pid != os.getpid():
                    self._conn = self._open()
                    self._pid = os.getpid()
                conn = self._conn
        return conn

    def _open(self) -> Any:
        conn = sqlite_db.connect(self.db_file)
        if migrate.sqlite_revision(conn) != migrate.HEAD_REVISION:
            conn.close()
            # Alembic and SQLAlchemy only for a database not at head: a rare, heavy step
            from jupyter_orch.db.session import get_engine

            get_engine(self.database_url)  # Alembic upgrades it to head (under its own lock)
            conn = sqlite_db.connect(self.db_file)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN IMMEDIATE behind the writer queue; COMMIT on success, ROLLBACK on error."""
        with sqlite_db.write_transaction(self.connection(), self.queue) as conn:
            yield conn

    def run(
        self, op: Callable[[Any], Any], on_failure: Any, answers: tuple[type[BaseException], ...] = ()
    ) -> Any:
        """`op(conn)` in a write transaction, committed. Any error rolls it back and answers
        `on_failure` (the caller then runs the request its general way, which answers the
        error as always); an error that is not one of `answers` (errors the request itself
        causes) may have left the connection unusable, so a new one is opened next time."""
        try:
            with self.transaction() as conn:
                return op(conn)
        except Exception as exc:
            if not isinstance(exc, answers):
                log.debug("jupyter_orch: plain write failed; the general path runs it", exc_info=True)
                self.close()
            return on_failure

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            # behind the writer queue: never while another thread's transaction runs on it (closing
            # a sqlite3 connection under a running statement crashes the process; after, a late
            # writer gets a ProgrammingError and its client opens a new connection)
            self.queue.acquire()
            try:
                conn.close()
            finally:
                self.queue.release()
