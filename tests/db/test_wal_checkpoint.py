"""A server's SQLite log is checkpointed by a thread of its own, not by the requests' commits."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from jupyter_orch.db import sqlite as sqlite_db


def _write(db_file: Path, rows: int) -> sqlite3.Connection:
    """Commit `rows` small transactions; the connection stays open (the last connection to close
    checkpoints the whole log itself)."""
    conn = sqlite_db.connect(str(db_file))
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    for i in range(rows):
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
    return conn


def _rows_in_main_file(db_file: Path) -> int:
    """Rows the database file itself holds (the log ignored): only what checkpoints copied."""
    conn = sqlite3.connect(f"file:{db_file}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    except sqlite3.OperationalError:  # the table itself is still only in the log
        return 0
    except sqlite3.DatabaseError:  # "malformed": a checkpoint was copying pages as this read them
        return 0  # (immutable=1 takes no lock); read again on the next turn
    finally:
        conn.close()


def _autocheckpoint(db_file: Path) -> int:
    conn = sqlite_db.connect(str(db_file))
    try:
        return conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    finally:
        conn.close()


def test_commits_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    db_file = tmp_path / "orch.db"
    other = tmp_path / "other.db"
    assert _autocheckpoint(db_file) == 1000  # SQLite's default
    checkpointer = sqlite_db.WalCheckpointer(str(db_file), interval=0.05)
    checkpointer.start()
    try:
        assert _autocheckpoint(db_file) == sqlite_db.BACKGROUND_AUTOCHECKPOINT_PAGES
        assert _autocheckpoint(other) == 1000  # only the file it checkpoints
        writer = _write(db_file, 50)
        deadline = time.monotonic() + 60  # a CPU hog beside the suite may starve the thread
        while _rows_in_main_file(db_file) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows_in_main_file(db_file) == 50 and checkpointer.checkpoints > 0
        writer.close()
    finally:
        checkpointer.stop()
    assert _autocheckpoint(db_file) == 1000  # stopped: SQLite's own checkpoints again


def test_without_the_thread_small_commits_stay_in_the_log(tmp_path: Path) -> None:
    """The control: the raised threshold alone copies nothing; the thread above did the work."""
    db_file = tmp_path / "orch.db"
    sqlite_db._checkpointed.add(str(db_file))
    try:
        writer = _write(db_file, 50)
        time.sleep(0.3)
        assert _rows_in_main_file(db_file) == 0
        writer.close()
    finally:
        sqlite_db._checkpointed.discard(str(db_file))
