"""The Dask runner's batched path (`engine/dask_bridge.py`) on a real 2-process local cluster:
every run recorded once with each of its states, retries, failures, timeouts and caching as on
the thread runner (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_orch import flow, task, task_input_hash
from jupyter_orch.task_runners import DaskTaskRunner

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=2, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_every_mapped_run_recorded_once_with_each_state(records, address: str) -> None:
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(task_runner=DaskTaskRunner(address=address))
    def many(n: int) -> list[int]:
        return double.map(range(n)).result()

    assert many(300) == [2 * x for x in range(300)]
    run = records.only_flow_run("many")
    trs = records.task_runs(run["id"])
    assert len(trs) == 300 and {t["state_type"] for t in trs} == {"COMPLETED"}
    assert len({t["name"] for t in trs}) == 300
    for tr in trs[::37]:
        assert [s["type"] for s in records.task_run_states(tr["id"])] == ["PENDING", "RUNNING", "COMPLETED"]


def test_retries_and_failures_as_on_threads(records, address: str, tmp_path: Path) -> None:
    @task(retries=1)
    def flaky(i: int, marks: str) -> int:
        mark = os.path.join(marks, str(i))
        if i % 2 and not os.path.exists(mark):
            open(mark, "w").close()
            raise ValueError(f"first try of {i}")
        return i

    @task
    def broken(i: int) -> int:
        raise KeyError(i)

    @flow(task_runner=DaskTaskRunner(address=address))
    def mixed() -> tuple[list[int], list[str]]:
        ok = flaky.map(range(6), marks=str(tmp_path)).result()
        bad = [s.name for s in broken.map(range(3), return_state=True)]
        return ok, bad

    ok, bad = mixed()
    assert ok == list(range(6)) and bad == ["Failed"] * 3
    run = records.only_flow_run("mixed")
    by_name = {t["name"]: t for t in records.task_runs(run["id"])}
    retried = [s["name"] for s in records.task_run_states(by_name["flaky-1"]["id"])]
    assert retried == ["Pending", "Running", "Retrying", "Completed"]  # no delay: Retrying at once
    assert by_name["flaky-1"]["run_count"] == 2 and by_name["flaky-2"]["run_count"] == 1
    failed = by_name["broken-0"]
    assert failed["state_type"] == "FAILED" and "KeyError" in failed["state_message"]


def test_a_timed_out_attempt_is_given_up(records, address: str, tmp_path: Path) -> None:
    release = tmp_path / "release"

    @task(timeout_seconds=0.5)
    def stuck(release: str) -> None:
        import time

        deadline = time.monotonic() + 60
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.05)  # held until the test lets go (the worker thread cannot be killed)

    @flow(task_runner=DaskTaskRunner(address=address))
    def hangs():
        future = stuck.submit(str(release))  # submitted: the body goes to the cluster
        future.wait()
        return future.state.name, future.task_run_id

    try:
        name, task_run_id = hangs()
    finally:
        release.touch()
    assert name == "TimedOut"
    tr = records.task_run(task_run_id)
    assert tr["state_name"] == "TimedOut" and "exceeded timeout of" in tr["state_message"]


def test_cached_runs_skip_the_cluster(records, address: str, tmp_path: Path) -> None:
    @task(cache_key_fn=task_input_hash, persist_result=True)
    def counted(i: int, log: str) -> int:
        with open(log, "a") as f:
            f.write(f"{i}\n")
        return i * 10

    @flow(task_runner=DaskTaskRunner(address=address))
    def twice(log: str) -> list[str]:
        return [s.name for s in counted.map(range(4), log=log, return_state=True)]

    log = tmp_path / "calls"
    assert twice(str(log)) == ["Completed"] * 4
    assert twice(str(log)) == ["Cached"] * 4
    assert sorted(log.read_text().split()) == ["0", "1", "2", "3"]


def test_async_bodies_run_on_the_workers(records, address: str) -> None:
    @task
    async def pid(i: int) -> int:
        return os.getpid()

    @flow(task_runner=DaskTaskRunner(address=address))
    def where() -> set[int]:
        return set(pid.map(range(4)).result())

    assert os.getpid() not in where()


def test_a_body_that_does_not_pickle_fails_alone(records, address: str) -> None:
    import threading

    lock = threading.Lock()  # a closure over a lock cannot be sent to another process

    @task
    def fine(i: int) -> int:
        return i

    @task
    def unsendable(i: int) -> int:
        with lock:
            return i

    @flow(task_runner=DaskTaskRunner(address=address))
    def mixed() -> tuple[list[str], str]:
        first = [fine.submit(i) for i in range(20)]
        bad = unsendable.submit(0)  # in the same batch as some of the others
        rest = [fine.submit(i) for i in range(20, 40)]
        states = [f.wait() or f.state.name for f in [*first, *rest]]
        return states, bad.wait() or bad.state.name

    fine_states, bad_state = mixed()
    assert fine_states == ["Completed"] * 40 and bad_state == "Failed"


def _dask_key() -> str:
    """The Dask task running the calling body (a bundle's bodies share one)."""
    return str(distributed.get_worker().get_current_task())


def test_quick_bodies_share_dask_tasks(records, address: str) -> None:
    @task
    def where(i: int) -> str:
        return _dask_key()

    @flow(task_runner=DaskTaskRunner(address=address))
    def bundled() -> tuple[list[str], list[str]]:
        first = where.map(range(4)).result()  # measured: a quick function from here on
        return first, where.map(range(4, 204)).result()

    _, keys = bundled()
    assert all(key.startswith("where-bundle-") for key in keys)
    assert len(set(keys)) < len(keys) / 2  # many bodies a Dask task
    run = records.only_flow_run("bundled")
    trs = records.task_runs(run["id"])
    assert len(trs) == 204 and {t["state_type"] for t in trs} == {"COMPLETED"}
    for tr in trs[::41]:
        assert [s["type"] for s in records.task_run_states(tr["id"])] == ["PENDING", "RUNNING", "COMPLETED"]


def test_a_bundled_body_s_error_or_unpicklable_value_is_its_own(records, address: str) -> None:
    import threading
    import traceback

    @task
    def pick(i: int, mode: str) -> object:
        if mode == "learn":
            return i
        if i % 3 == 1:
            raise KeyError(i)
        return threading.Lock() if i % 3 == 2 else _dask_key()  # a lock does not pickle

    @flow(task_runner=DaskTaskRunner(address=address))
    def mixed() -> list[tuple[str, object]]:
        pick.map(range(4), mode="learn").result()
        states = pick.map(range(60), mode="mixed", return_state=True)
        return [(s.name, s.result(raise_on_failure=False)) for s in states]

    outcomes = mixed()
    assert [name for name, _ in outcomes] == ["Completed", "Failed", "Failed"] * 20
    assert all(value.startswith("pick-bundle-") for _, value in outcomes[::3])
    err = outcomes[1][1]
    assert isinstance(err, KeyError) and err.args == (1,)
    assert "pick" in "".join(traceback.format_tb(err.__traceback__))  # the worker's traceback came along
    assert "pickle" in str(outcomes[2][1]).lower()
