"""A tag concurrency limit of 2 holds with 10 engine tasks competing: embedded and over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import concurrency
from jupyter_orch.server.process import ServerProcess

pytestmark = pytest.mark.postgres


def _peak(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end before a start at the same time)."""
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda e: e)
    peak = active = 0
    for _, step in events:
        active += step
        peak = max(peak, active)
    return peak


def _run_ten_tasks() -> list[tuple[float, float]]:
    from jupyter_orch import flow, task
    from jupyter_orch.engine.task_runners import ThreadPoolTaskRunner

    lock = threading.Lock()
    intervals: list[tuple[float, float]] = []

    @task(tags=["db"])
    def query(i: int) -> int:
        began = time.monotonic()
        time.sleep(0.15)
        with lock:
            intervals.append((began, time.monotonic()))
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=10))
    def competing() -> list[int]:
        return [f.result() for f in query.map(range(10))]

    assert sorted(competing()) == list(range(10))
    return intervals


def test_limit_of_two_holds_for_ten_engine_tasks_embedded(orch_env: str) -> None:
    with session_scope(orch_env) as s:
        concurrency.create_limit(s, "db", 2)
    intervals = _run_ten_tasks()
    assert len(intervals) == 10
    assert _peak(intervals) == 2  # never more than 2, and the limit is not a lock of 1
    with session_scope(orch_env) as s:
        (limit,) = concurrency.list_limits(s)
        assert limit["active_slots"] == 0  # every slot given back


@pytest.fixture
def http_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    from jupyter_orch.client import reset_client

    with ServerProcess(f"sqlite:///{tmp_path / 'orch.db'}", tmp_path / "home") as server:
        for key, value in server.client_env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("JUPYTER_ORCH_DATABASE_URL", raising=False)
        reset_client()
        yield server
        reset_client()


def test_limit_of_two_holds_for_ten_engine_tasks_over_http(http_env: ServerProcess) -> None:
    import httpx

    api = f"{http_env.url}/orch/api/concurrency_limits"
    r = httpx.post(api, json={"tag": "db", "concurrency_limit": 2}, headers=http_env.headers)
    assert r.status_code == 201, r.text
    intervals = _run_ten_tasks()
    assert len(intervals) == 10 and _peak(intervals) == 2
    (limit,) = httpx.get(api, headers=http_env.headers).json()["items"]
    assert limit["active_slots"] == 0
    bad = httpx.post(f"{api}/increment", json={"tags": ["db"]}, headers=http_env.headers)
    assert bad.status_code == 422 and "holder_id" in bad.text
