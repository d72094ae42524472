"""Group commit: one writer thread runs the write operations of concurrent requests in one transaction.

Each request's operation runs in its own SAVEPOINT inside the batch's transaction, so an operation
that fails is rolled back alone and the others go on; the batch commits once, and only then is
every request of the batch answered. A commit costs the same for one operation or fifty (SQLite
appends to its WAL, PostgreSQL flushes its WAL once), so with many clients the write rate grows
with the batch size instead of being capped by one commit per request. A lone request is run
without a savepoint: its batch is its transaction.

If the commit itself fails (or the transaction became unusable, e.g. SQLite rolled it back on an
I/O error), nothing of the batch was written and each operation is run again in a transaction of
its own, so that one bad operation cannot fail the others. An operation that fails with an error
another transaction caused (a deadlock victim, a serialization failure, a lock timeout) is run again
alone after the batch, as it would have been retried on its own.

A lone request on a SQLite file whose route has a plain-SQL form (`Route.plain`: a flow-run create
or state change through `orchestration.run_writer.RunWriter`, which the store writes through
too) runs it on the thread's own `sqlite3` connection (`db.plain.PlainSQLite`, as the client's
in-process transport does), skipping SQLAlchemy's session and transaction machinery: the
commonest writes of one client cost markedly less. It answers `PASS` (or fails, rolled back)
when the request needs the store, which then runs it as any other operation.

One writer thread by default: batches of one thread never wait on each other's row locks. More
threads (PostgreSQL) overlap round trips, but two batches holding locks on several runs each can
deadlock; PostgreSQL then aborts one operation, which is run again alone (after a `deadlock_timeout`).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from jupyter_orch.api.database import Database
from jupyter_orch.api.errors import Unavailable
from jupyter_orch.api.routing import PASS
from jupyter_orch.db.plain import PlainSQLite
from jupyter_orch.db.sqlite import file_of
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.errors import OrchError

log = logging.getLogger(__name__)

Operation = Callable[[Session], Any]
#: `plain(conn, dialect)`: an operation's plain-SQL form (`Route.plain` with its arguments bound)
PlainOperation = Callable[[Any, Any], Any]
_STOP = object()


class GroupCommitWriter:
    """Runs `submit(fn)` operations (`fn(session) -> result`) on one thread, batched per commit."""

    def __init__(
        self, database: Database, max_batch: int = 64, threads: int = 1, name: str = "jupyter-orch-db-write"
    ) -> None:
        self.database = database
        self.max_batch = max(1, max_batch)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # several threads (PostgreSQL) overlap their batches' round trips; SQLite has one writer
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}_{i}", daemon=True)
            for i in range(max(1, threads))
        ]
        self._stopped = False
        self._lock = threading.Lock()
        # one writer thread on a SQLite file (as the server runs it) also keeps a plain connection
        db_file = file_of(str(database.engine.url)) if database.dialect == "sqlite" else None
        self._plain = PlainSQLite(db_file) if db_file and len(self._threads) == 1 else None
        self._dialect = sqlwrite.dialect("sqlite")
        #: batches committed, operations run, and of those the lone ones run as plain SQL
        self.batches = 0
        self.operations = 0
        self.plain_operations = 0
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Operation, plain: PlainOperation | None = None) -> Future[Any]:
        """Queue `fn` (or its plain-SQL form `plain`, see the module docstring); the future
        resolves after the transaction that ran it has committed."""
        fut: Future[Any] = Future()
        self._put(fn, fut, plain)
        return fut

    def submit_async(self, fn: Operation, plain: PlainOperation | None = None) -> asyncio.Future[Any]:
        """`submit` for a caller on an event loop: an asyncio future of that loop, resolved through
        `call_soon_threadsafe` (cheaper than a concurrent future chained to an asyncio one)."""
        fut = asyncio.get_running_loop().create_future()
        self._put(fn, fut, plain)
        return fut

    def _put(self, fn: Operation, fut: Any, plain: PlainOperation | None) -> None:
        with self._lock:
            if self._stopped:
                raise Unavailable("the database writer is stopped: the server is stopping")
            self._queue.put((fn, fut, plain))

    def stop(self, timeout: float | None = 30.0) -> None:
        """Run what is queued, then end the thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            for _ in self._threads:
                self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)

    # -- the writer thread ---------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            self.database.release_thread_session()
            if self._plain is not None:
                self._plain.close()

    def _serve(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            batch = [item for item in batch if _start(item[1])]
            try:
                if len(batch) == 1 and self._run_plain(*batch[0]):
                    continue
                if batch:
                    self._run_batch([(fn, fut) for fn, fut, _ in batch])
            except BaseException as exc:  # never leave a request waiting
                log.exception("jupyter_orch: database writer failed")
                for _, fut, _ in batch:
                    _resolve(fut, False, exc)

    def _run_plain(self, fn: Operation, fut: Any, plain: PlainOperation | None) -> bool:
        """A lone operation in its plain-SQL form; False when it must run as `fn` instead."""
        if plain is None or self._plain is None:
            return False
        result = self._plain.run(lambda conn: plain(conn, self._dialect), PASS, (OrchError,))
        if result is PASS:
            return False
        with self._lock:
            self.batches += 1
            self.operations += 1
            self.plain_operations += 1
        _resolve(fut, True, result)
        return True

    def _run_batch(self, batch: list[tuple[Operation, Any]]) -> None:
        if len(batch) == 1:
            self._run_alone(*batch[0])
            return
        outcomes: list[tuple[Any, bool, Any]] = []
        again: list[tuple[Operation, Any]] = []
        try:
            with self.database.thread_session() as session:
                for fn, fut in batch:
                    try:
                        with session.begin_nested():
                            result = fn(session)
                    except Exception as exc:
                        if _transient(exc):  # e.g. a deadlock victim: rolled back, run it again alone
                            again.append((fn, fut))
                        else:
                            outcomes.append((fut, False, exc))
                    else:
                        outcomes.append((fut, True, result))
                    # the next operation starts with an empty identity map, as in a session of its own
                    session.expunge_all()
        except Exception:
            # the batch's transaction did not commit: nothing of it was written
            log.warning("jupyter_orch: a batch of %d writes failed to commit; retrying each", len(batch))
            for fn, fut in batch:
                self._run_alone(fn, fut)
            return
        with self._lock:
            self.batches += 1
            self.operations += len(batch)
        for fut, ok, value in outcomes:
            _resolve(fut, ok, value)
        for fn, fut in again:
            self._run_alone(fn, fut)

    def _run_alone(self, fn: Operation, fut: Any) -> None:
        try:
            with self.database.thread_session() as session:
                result = fn(session)
        except Exception as exc:
            _resolve(fut, False, exc)
            return
        with self._lock:
            self.batches += 1
            self.operations += 1
        _resolve(fut, True, result)


#: SQLSTATEs of errors that say "try again" (serialization failure, deadlock, lock not available)
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def _transient(exc: BaseException) -> bool:
    """A database error that another transaction caused, not the operation: worth one more run."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


def _start(fut: Any) -> bool:
    """False if the request gave up (cancelled) before its operation started."""
    if isinstance(fut, Future):
        return fut.set_running_or_notify_cancel()
    return not fut.cancelled()


def _resolve(fut: Any, ok: bool, value: Any) -> None:
    if isinstance(fut, Future):
        if fut.done():
            return
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
        return
    try:
        fut.get_loop().call_soon_threadsafe(_set_async, fut, ok, value)
    except RuntimeError:  # the loop is closed: nobody is waiting any more
        pass


def _set_async(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.done():  # cancelled meanwhile
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)
