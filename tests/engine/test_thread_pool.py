"""The thread runner's pool (shared-Condition futures) and the batch writer's bounded queue: what
lets one flow map 100,000 tasks in bounded memory without changing what futures do."""

from __future__ import annotations

import concurrent.futures
import contextvars
import gc
import os
import threading
import time

import pytest
from sqlalchemy import text

from jupyter_orch import ThreadPoolTaskRunner, flow, task
from jupyter_orch.client import get_client
from jupyter_orch.client.batch import BatchWriter
from jupyter_orch.db.session import session_scope
from jupyter_orch.engine import collector
from jupyter_orch.engine.thread_pool import EnginePool
from jupyter_orch.settings import WRITER_MAX_PENDING_ENV, writer_max_pending

WAIT = 60  # generous: the machine may be loaded; every wait below ends on a condition first
where = contextvars.ContextVar("where", default="unset")


def test_pool_futures_behave_as_concurrent_futures():
    gates = {name: threading.Event() for name in ("a", "b", "boom")}

    def drive(name: str) -> str:
        assert gates[name].wait(WAIT)
        if name == "boom":
            raise ValueError("boom")
        return f"{name}:{where.get()}"

    pool = EnginePool(drive, max_workers=3, thread_name_prefix="test-pool")
    where.set("submitter")
    a, b, boom = (pool.submit(name) for name in ("a", "b", "boom"))
    seen: list[str] = []
    a.add_done_callback(lambda f: seen.append(f.result()))
    gates["b"].set()
    assert b.result(WAIT) == "b:submitter"  # ran in the context it was submitted from
    # b's end woke every waiter of the shared Condition: a must still wait out its own timeout
    with pytest.raises(concurrent.futures.TimeoutError):
        a.result(timeout=0.2)
    assert not a.done()
    gates["a"].set()
    gates["boom"].set()
    done, not_done = concurrent.futures.wait([a, boom], timeout=WAIT)
    assert done == {a, boom} and not not_done
    assert seen == ["a:submitter"]
    assert isinstance(boom.exception(), ValueError)
    with pytest.raises(ValueError, match="boom"):
        boom.result()
    late: list[str] = []
    a.add_done_callback(lambda f: late.append(f.result()))  # already done: called at once
    assert late == ["a:submitter"]
    finished = concurrent.futures.as_completed([a, b])
    assert sorted(f.result() for f in finished) == ["a:submitter", "b:submitter"]
    pool.shutdown(wait=True)
    with pytest.raises(RuntimeError):
        pool.submit("a")


def test_pool_keeps_to_max_workers_and_runs_queued_work_on_shutdown():
    running, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def drive(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        assert release.wait(WAIT)
        with lock:
            running[0] -= 1
        return i

    pool = EnginePool(drive, max_workers=2, thread_name_prefix="test-pool")
    futures = [pool.submit(i) for i in range(20)]
    release.set()
    pool.shutdown(wait=True)  # the queued calls still run before it returns
    assert [f.result(0) for f in futures] == list(range(20))
    assert peak[0] <= 2 and len(pool._threads) <= 2


def _wait_until(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_a_large_backlog_relaxes_the_collector_until_it_drains(monkeypatch):
    """From `collector.BACKLOG` runs in flight, full collections wait and young ones run less
    often (the heap of a 100,000-task map grows by live objects only); the thresholds come back
    once the last run of the backlog ended."""
    monkeypatch.setattr(collector, "BACKLOG", 5)
    before = gc.get_threshold()
    release = threading.Event()

    def drive(i: int) -> int:
        assert release.wait(WAIT)
        return i

    pool = EnginePool(drive, max_workers=2, thread_name_prefix="test-pool")
    futures = [pool.submit(i) for i in range(4)]
    assert gc.get_threshold() == before and not collector.is_relaxed()
    futures += [pool.submit(i) for i in range(4, 10)]
    relaxed = gc.get_threshold()
    assert collector.is_relaxed() and relaxed[0] > before[0] and relaxed[2] > before[2]
    release.set()
    assert [f.result(WAIT) for f in futures] == list(range(10))
    _wait_until(lambda: not collector.is_relaxed())  # the worker ending the last run restores
    assert gc.get_threshold() == before
    pool.shutdown(wait=True)


def test_the_collector_keeps_thresholds_set_meanwhile_and_a_collector_switched_off():
    before = gc.get_threshold()
    try:
        collector.relax()
        collector.relax()  # a second pool's backlog: restored only when both drained
        relaxed = gc.get_threshold()
        collector.restore()
        assert gc.get_threshold() == relaxed
        collector.restore()
        assert gc.get_threshold() == before
        collector.relax()
        gc.set_threshold(1234, 5, 6)  # the user's own thresholds, set during the backlog, stay
        collector.restore()
        assert gc.get_threshold() == (1234, 5, 6)
        gc.set_threshold(0, 5, 6)  # automatic collection off: never switched on
        collector.relax()
        assert gc.get_threshold() == (0, 5, 6)
        collector.restore()
        assert gc.get_threshold() == (0, 5, 6) and not collector.is_relaxed()
    finally:
        gc.set_threshold(*before)


def test_a_forked_child_starts_with_the_collector_as_it_was():
    """A process forked while a backlog relaxed the collector (a process-pool run, a notebook
    kernel's fork) has no pool to restore it: it does so at the fork."""
    before = gc.get_threshold()
    collector.relax()
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report what it has, then leave at once
            os.write(write, repr((gc.get_threshold(), collector.is_relaxed())).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            seen = pipe.read()
        os.waitpid(pid, 0)
        assert seen == repr((before, False))
        assert collector.is_relaxed() and gc.get_threshold() != before  # the parent's still holds
    finally:
        collector.restore()
    assert gc.get_threshold() == before


def test_writer_holds_producers_at_max_pending_and_loses_nothing():
    written: list[dict] = []
    first_write_started, let_write = threading.Event(), threading.Event()

    def write(batch: dict) -> None:
        first_write_started.set()
        assert let_write.wait(WAIT)
        written.extend(batch["task_runs"])

    writer = BatchWriter(write, interval=0.01, max_items=10, max_pending=10)
    row = {"cache_key": None, "state_type": "RUNNING"}
    writer.add_task_run({**row, "id": "first"})
    assert first_write_started.wait(WAIT)  # the writer is busy with "first" until let_write
    produced = threading.Event()

    def producer() -> None:
        for i in range(30):
            writer.add_task_run({**row, "id": f"r{i}"})
        produced.set()

    thread = threading.Thread(target=producer)
    thread.start()
    # ten records fill the queue: the producer waits for the writer instead of queueing thirty
    deadline = time.monotonic() + WAIT
    while writer._blocked != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer._blocked == 1 and not produced.is_set()
    assert 10 <= writer._pending < 60  # thirty runs would be 30 records more
    let_write.set()
    assert produced.wait(WAIT)
    writer.flush(WAIT)
    thread.join(WAIT)
    assert sorted(r["id"] for r in written) == sorted(["first", *(f"r{i}" for i in range(30))])


def test_producers_held_for_room_sleep_through_the_writers_wake_ups():
    """Every record past `max_items` wakes the writer; producers held at `max_pending` wait apart
    and wake only when a batch is taken (64 pool threads re-checking per record was a storm)."""
    first_write_started, let_write = threading.Event(), threading.Event()

    def write(batch: dict) -> None:
        first_write_started.set()
        assert let_write.wait(WAIT)

    writer = BatchWriter(write, interval=0.01, max_items=5, max_pending=5)
    row = {"cache_key": None, "state_type": "RUNNING"}
    writer.add_task_run({**row, "id": "first"})
    assert first_write_started.wait(WAIT)  # the writer is busy until let_write
    producers = [
        threading.Thread(
            target=lambda k=k: [writer.add_task_run({**row, "id": f"p{k}-{i}"}) for i in range(5)]
        )
        for k in range(4)
    ]
    for thread in producers:
        thread.start()
    _wait_until(lambda: writer._blocked == 4)
    with writer._lock:  # no waiter leaves (nor times out of) its Condition while this is held
        assert len(writer._room._waiters) == 4
        writer._start_or_wake()  # what every record past max_items does: wake the writer...
        assert len(writer._room._waiters) == 4  # ...and not the producers held for room
    let_write.set()
    writer.flush(WAIT)
    for thread in producers:
        thread.join(WAIT)
    assert writer._blocked == 0


def test_writer_does_not_hold_producers_while_writes_fail():
    def write(batch: dict) -> None:
        raise ConnectionError("server away")

    writer = BatchWriter(write, interval=0.01, max_items=2, max_pending=2)
    row = {"cache_key": None, "state_type": "RUNNING"}
    writer.add_task_run({**row, "id": "a"})
    with pytest.raises(ConnectionError):
        writer.flush(WAIT)  # the error is seen ...
    writer._error = ConnectionError("still away")  # ... and while it lasts, producers go on
    done = threading.Event()

    def producer() -> None:
        for i in range(20):
            writer.add_task_run({**row, "id": f"b{i}"})
        done.set()

    threading.Thread(target=producer).start()
    assert done.wait(WAIT)
    assert writer._pending >= 20  # kept, to be written when the server is back


def test_writer_max_pending_setting(monkeypatch):
    monkeypatch.delenv(WRITER_MAX_PENDING_ENV, raising=False)
    assert writer_max_pending() == 4_000
    monkeypatch.setenv(WRITER_MAX_PENDING_ENV, "500")
    assert writer_max_pending() == 500
    for bad in ("lots", "0", "-3"):
        monkeypatch.setenv(WRITER_MAX_PENDING_ENV, bad)
        with pytest.raises(ValueError, match=WRITER_MAX_PENDING_ENV):
            writer_max_pending()


def test_mapped_runs_past_the_writer_bound_are_all_recorded(orch_env):
    """3,000 mapped runs through a writer bounded at 300 records: every run and all three of its
    states written once (SQLite and PostgreSQL)."""

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
    def fan(n: int) -> int:
        return sum(double.map(range(n)).result())

    writer = get_client().writer
    saved, writer._max_pending = writer._max_pending, 300
    try:
        state = fan(3000, return_state=True)
    finally:
        writer._max_pending = saved
    assert state.is_completed() and state.result() == 2 * sum(range(3000))
    with session_scope(orch_env) as s:
        runs = s.execute(
            text("select count(*), count(distinct dynamic_key) from task_runs where flow_run_id = :id"),
            {"id": str(state.state_details.flow_run_id)},
        ).one()
        states = s.execute(
            text(
                "select count(*) from task_run_states where task_run_id in "
                "(select id from task_runs where flow_run_id = :id)"
            ),
            {"id": str(state.state_details.flow_run_id)},
        ).scalar()
        completed = s.execute(
            text("select count(*) from task_runs where flow_run_id = :id and state_type = 'COMPLETED'"),
            {"id": str(state.state_details.flow_run_id)},
        ).scalar()
    assert tuple(runs) == (3000, 3000)
    assert states == 9000 and completed == 3000
