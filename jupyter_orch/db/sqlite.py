"""SQLite connections without SQLAlchemy: the settings, the cross-process writer queue and the
write transaction, shared by the SQLAlchemy engine (`session.py`) and the engine's plain
`sqlite3` connection (`db/plain.py`), so both open and lock the file the same way.

Writers of one SQLite file queue on an OS file lock (`flock` on `<file>-writelock`) before
BEGIN IMMEDIATE: the kernel wakes the next writer as soon as one is done, where SQLite's busy
handler makes each waiter sleep in growing steps (up to 100 ms) and, with hundreds of processes
writing at once (runs starting at the same second), turns the lock into a convoy.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

SQLITE_BUSY_TIMEOUT_MS = 30_000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    # 32 MB of page cache (the default is 2 MB): batches of task runs touch several indexes
    "PRAGMA cache_size=-32000",
)


def configure(dbapi_conn: Any, db_file: str | None = None) -> None:
    """Our settings on a fresh DB-API connection; we issue BEGIN ourselves (autocommit mode).

    A file this process checkpoints in the background (`WalCheckpointer`) gets a far higher
    automatic-checkpoint threshold: the thread does that work, off the commits."""
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in PRAGMAS:
        cur.execute(pragma)
    if db_file is not None and _canonical(db_file) in _checkpointed:
        cur.execute(f"PRAGMA wal_autocheckpoint={BACKGROUND_AUTOCHECKPOINT_PAGES}")
    cur.close()


def _canonical(db_file: str) -> str:
    return os.path.abspath(os.path.expanduser(db_file))


#: with a background checkpointer, a commit still checkpoints past this many WAL pages (160 MB):
#: a safety net should the thread fall behind, never the usual path
BACKGROUND_AUTOCHECKPOINT_PAGES = 40_000
_checkpointed: set[str] = set()


class WalCheckpointer:
    """Copies a SQLite file's write-ahead log back into the database from a thread of its own.

    SQLite otherwise checkpoints on the commit that takes the log past 1,000 pages: that commit
    copies the pages and syncs the file, milliseconds every few dozen small transactions (a flow
    run's creation writes ~14 pages: the row, its indexes, its first state). A process that
    commits many small transactions (the server) starts one of these: its connections opened
    from then on leave checkpoints to this thread (`configure`), which runs a PASSIVE checkpoint
    (it never blocks a reader or a writer) every `interval` seconds.
    Other processes on the file keep SQLite's default.
    """

    def __init__(self, db_file: str, interval: float = 0.25) -> None:
        self.db_file = _canonical(db_file)
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        _checkpointed.add(self.db_file)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="jupyter-orch-wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        _checkpointed.discard(self.db_file)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        conn = connect(self.db_file)
        try:
            while not self._stop.wait(self.interval):
                self.checkpoint(conn)
            self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: Any) -> None:
        """One PASSIVE checkpoint (with nothing new in the log it only reads the log's header)."""
        try:
            _busy, pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except Exception:  # e.g. the file went away meanwhile; the next round tries again
            return
        if pages > 0 and copied > 0:
            self.checkpoints += 1


def file_of(url: str) -> str | None:
    """The database file of a plain `sqlite:///path` URL (relative or absolute; the path as
    SQLAlchemy opens it), or None for anything else (memory, a driver or query options): those
    go through SQLAlchemy."""
    if not url.startswith("sqlite:///") or "?" in url:
        return None
    path = unquote(url[len("sqlite:///") :])
    if not path or path == ":memory:":
        return None
    return path


class WriterQueue:
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


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def writer_queue(db_file: str) -> WriterQueue:
    """The one writer queue of this process for `db_file` (both paths must share it: two open
    files of the same lock would make a thread wait for itself)."""
    path = os.path.abspath(os.path.expanduser(db_file)) + "-writelock"
    with _queues_lock:
        queue = _queues.get(path)
        if queue is None:
            queue = _queues[path] = WriterQueue(path)
        return queue


def connect(db_file: str) -> Any:
    """A `sqlite3` connection to `db_file` with our settings (usable from any thread)."""
    os.makedirs(os.path.dirname(os.path.abspath(db_file)), exist_ok=True)
    conn = sqlite3.connect(db_file, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    configure(conn, db_file)
    return conn


@contextmanager
def write_transaction(conn: Any, queue: WriterQueue) -> Iterator[Any]:
    """BEGIN IMMEDIATE behind the writer queue; COMMIT on success, ROLLBACK on error."""
    queue.acquire()
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # the body failed, or COMMIT did: never leave it open
                conn.execute("ROLLBACK")
            raise
    finally:
        queue.release()
