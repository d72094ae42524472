"""Finding 4: a killed worker's run is marked Crashed (with the reason) within the heartbeat
timeout, then retried; a new schedule has its runs at once, so its first slot is never missed.

A real `jupyter orch server` (SQLite and PostgreSQL) with a short timeout, real worker processes
talking to it over HTTP, `kill -9`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_orch.server.process import ServerProcess

from .conftest import wait_for

TIMEOUT = 4.0  # seconds without a heartbeat before a run is marked Crashed (default 30)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {"JUPYTER_ORCH_HEARTBEAT_TIMEOUT": str(TIMEOUT)}
    with ServerProcess(db_url, tmp_path / "server-home", env=env) as srv:
        yield srv


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/orch/api", headers=server.headers, timeout=30) as client:
        yield client


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_killed_worker_run_is_crashed_within_the_timeout_then_retried(
    api: httpx.Client, server: ServerProcess, flows_dir: Path, start_worker
) -> None:
    _ok(api.post("/work_pools", json={"name": "fz"}))
    marker = flows_dir / "attempt-1"
    dep = _ok(
        api.post(
            "/deployments",
            json={
                "flow_name": "once-slow",
                "name": "d",
                "entrypoint": "flows.py:once_slow",
                "path": str(flows_dir),
                "work_pool_name": "fz",
                "parameters": {"marker": str(marker)},
                "empirical_policy": {"retries": 1},
            },
        )
    )
    run = _ok(api.post(f"/deployments/{dep['id']}/create_flow_run", json={}))
    first = start_worker("fz", api_url=server.url, token=server.token)
    wait_for(lambda: marker.exists() and marker.read_text(), 60, "the first attempt to start")
    assert _ok(api.get(f"/flow_runs/{run['id']}"))["state_type"] == "RUNNING"
    child = int(marker.read_text())
    first.kill9()
    killed = time.monotonic()
    wait_for(lambda: not _alive(child), 10, "the run's process to die with its worker")

    def history() -> list[dict]:
        return _ok(api.get(f"/flow_runs/{run['id']}/states"))

    wait_for(lambda: any(s["type"] == "CRASHED" for s in history()), 30, "a Crashed state")
    took = time.monotonic() - killed
    states = history()
    names = [s["name"] for s in states]
    crashed = next(s for s in states if s["type"] == "CRASHED")
    assert "no heartbeat" in crashed["message"] and "fz-w0" in crashed["message"], crashed
    assert names[-2:] == ["Crashed", "AwaitingRetry"], names  # crashed, then its retry
    # within the timeout of its last heartbeat (2 s before the kill at most) plus a pass; the
    # margin is for a loaded 2-core machine (a detector waking every 5 s would need TIMEOUT + 7)
    assert took < TIMEOUT + 6, took
    start_worker("fz", api_url=server.url, token=server.token)
    wait_for(lambda: _ok(api.get(f"/flow_runs/{run['id']}"))["state_type"] == "COMPLETED", 60, "the retry")
    done = _ok(api.get(f"/flow_runs/{run['id']}"))
    assert done["run_count"] == 2
    names = [s["name"] for s in history()]
    assert names.count("Crashed") == 1 and names.count("Running") == 2 and names[-1] == "Completed", names


def test_a_new_schedule_has_its_first_slot_run(
    api: httpx.Client, server: ServerProcess, flows_dir: Path, start_worker
) -> None:
    """A 2 s interval deployment, created while a worker waits: its runs exist as the POST answers
    (not a scheduler pass, 10 s, later) and the first slot after the create is the first run."""
    _ok(api.post("/work_pools", json={"name": "fs"}))
    start_worker("fs", api_url=server.url, token=server.token)
    created_at = datetime.now().astimezone()
    dep = _ok(
        api.post(
            "/deployments",
            json={
                "flow_name": "quick",
                "name": "every-2s",
                "entrypoint": "flows.py:quick",
                "path": str(flows_dir),
                "work_pool_name": "fs",
                "schedules": [{"interval": 2}],
            },
        )
    )

    def runs() -> list[dict]:
        out = _ok(api.get("/flow_runs", params={"deployment_id": dep["id"], "limit": 500}))["items"]
        return sorted(out, key=lambda r: r["expected_start_time"])

    scheduled = runs()
    assert scheduled, "no run scheduled when the deployment was created"
    first_slot = datetime.fromisoformat(scheduled[0]["expected_start_time"])
    assert first_slot <= created_at + timedelta(seconds=2.5)  # the slot right after the create

    def completed() -> list[dict]:
        return [r for r in runs() if r["state_type"] == "COMPLETED"]

    wait_for(lambda: len(completed()) >= 4, 90, "4 completed runs")
    slots = [datetime.fromisoformat(r["expected_start_time"]) for r in runs()]
    done = [datetime.fromisoformat(r["expected_start_time"]) for r in completed()]
    # no slot skipped: the completed runs are the first slots, every 2 s from the first
    assert done[:4] == slots[:4] and slots[0] == first_slot
    assert all((b - a).total_seconds() == 2 for a, b in zip(slots, slots[1:4], strict=False))
