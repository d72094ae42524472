"""Task runners: submitted tasks run concurrently on threads, or on dask.distributed."""

from __future__ import annotations

import time

import cloudpickle

from jupyter_orch import DaskTaskRunner, ThreadPoolTaskRunner, flow, task, unmapped


def test_thread_pool_runs_submitted_tasks_concurrently(records):
    import threading

    together = threading.Barrier(4, timeout=60)  # passed only when all four run at once

    @task
    def meet(i: int) -> int:
        together.wait()  # one at a time, the first would wait out the timeout and raise
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
    def parallel():
        futures = [meet.submit(i) for i in range(4)]
        return [f.result() for f in futures]

    assert parallel() == [0, 1, 2, 3]
    run = records.only_flow_run("parallel")
    trs = records.task_runs(run["id"])
    assert len(trs) == 4 and all(t["state_type"] == "COMPLETED" for t in trs)


def test_map_with_unmapped(records):
    @task
    def scale(x: int, factor: int, offsets: list[int]) -> int:
        return x * factor + sum(offsets)

    @flow
    def mapped():
        return [f.result() for f in scale.map([1, 2, 3], 10, unmapped([1, 1]))]

    assert mapped() == [12, 22, 32]
    run = records.only_flow_run("mapped")
    assert sorted(t["name"] for t in records.task_runs(run["id"])) == ["scale-0", "scale-1", "scale-2"]


def test_dask_runner_runs_mapped_tasks(records):
    import threading

    @task(retries=1)
    def where(x: int) -> tuple[int, str]:
        return x * 2, threading.current_thread().name

    cloudpickle.loads(cloudpickle.dumps(where.fn))  # what a multi-process cluster needs

    @flow(
        task_runner=DaskTaskRunner(
            cluster_kwargs={"processes": False, "n_workers": 1, "threads_per_worker": 2}
        )
    )
    def on_dask():
        futures = where.map(range(6))
        return [f.result() for f in futures]

    results = on_dask()
    assert [r[0] for r in results] == [0, 2, 4, 6, 8, 10]
    assert all("jupyter-orch" not in name for _, name in results)  # ran on dask's threads, not ours
    run = records.only_flow_run("on-dask")
    assert run["state_type"] == "COMPLETED"
    trs = records.task_runs(run["id"])
    assert len(trs) == 6 and all(t["state_type"] == "COMPLETED" for t in trs)


def test_tag_concurrency_limit_is_respected(records):
    import threading

    from jupyter_orch.db.session import session_scope
    from jupyter_orch.orchestration.store import concurrency

    with session_scope(records.url) as s:
        concurrency.create_limit(s, "db", 1)
    running = []
    peak = []
    lock = threading.Lock()

    @task(tags=["db"])
    def limited(i: int) -> int:
        with lock:
            running.append(i)
            peak.append(len(running))
        time.sleep(0.05)
        with lock:
            running.remove(i)
        return i

    @flow
    def throttled():
        return [f.result() for f in limited.map(range(4))]

    assert throttled() == [0, 1, 2, 3]
    assert max(peak) == 1
