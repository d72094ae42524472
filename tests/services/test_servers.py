"""Real `jupyter orch server` processes: two on one database schedule without duplicate or gap; a
fresh server runs a scheduled deployment to Completed on its own; overdue runs become Late."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.server.process import ServerProcess
from jupyter_orch.services.late_runs import LateRunsService
from jupyter_orch.states import Scheduled

pytestmark = pytest.mark.postgres


def _config_dir(tmp: Path, orch: dict) -> dict[str, str]:
    """A Jupyter config dir holding `c.OrchApp` settings, as the environment of a server."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "jupyter_server_config.json").write_text(json.dumps({"OrchApp": orch}))
    return {"JUPYTER_CONFIG_DIR": str(tmp)}


def _runs(url: str, deployment_id: str) -> list[tuple[datetime, datetime]]:
    """(expected start, created) of the deployment's runs."""
    with session_scope(url) as s:
        rows, _ = flow_runs.list_flow_runs(s, deployment_id=deployment_id, limit=500)
        return [(r.expected_start_time, r.created) for r in rows]


@pytest.mark.slow
def test_two_servers_one_database_no_duplicate_no_gap(db_url: str, tmp_path: Path) -> None:
    with session_scope(db_url) as s:
        dep_id = deps.upsert_deployment(
            s, flow_name="tick", name="every-second", entrypoint="f.py:tick", schedules=[{"interval": 1}]
        ).id
    env = _config_dir(tmp_path / "cfg", {"scheduler_interval": 1.0, "local_worker": False})
    servers = [ServerProcess(db_url, tmp_path / f"home{i}", env=env) for i in range(2)]
    starters = [threading.Thread(target=srv.start) for srv in servers]
    for t in starters:
        t.start()
    for t in starters:
        t.join()
    began = datetime.now(timezone.utc)
    try:
        assert all(srv.proc is not None for srv in servers), "a server did not start"
        _wait_for(lambda: len({c for _, c in _runs(db_url, dep_id)}) >= 8, "8 scheduler passes")
        servers[0].stop()  # the other takes over the scheduler lease (released, or on expiry)
        handover = datetime.now(timezone.utc)
        _wait_for(
            lambda: len({c for _, c in _runs(db_url, dep_id) if c > handover}) >= 8,
            "8 scheduler passes after the handover",
        )
    finally:
        for srv in servers:
            srv.stop()
    runs = _runs(db_url, dep_id)
    times = [expected for expected, _ in runs]
    assert len(times) == len(set(times)), "a slot was scheduled twice"
    times.sort()
    steps = {(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)}
    assert steps == {1.0}, f"a gap: steps {sorted(steps)}"
    assert times[0] <= began + timedelta(seconds=1) and times[-1] > handover


def _wait_for(pred, what: str, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow
def test_fresh_server_runs_a_scheduled_deployment_with_its_local_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orch.db'}"
    (tmp_path / "flows.py").write_text("def hello():\n    print('hello from the schedule')\n")
    with session_scope(url) as s:
        dep_id = deps.upsert_deployment(
            s,
            flow_name="hello",
            name="often",
            entrypoint="flows.py:hello",
            path=str(tmp_path),
            schedules=[{"interval": 2}],
        ).id
    # defaults only: no config dir, so the services come from OrchApp's defaults
    with ServerProcess(url, tmp_path / "home", env={"JUPYTER_CONFIG_DIR": str(tmp_path / "none")}) as srv:
        names = ("scheduler", "late_runs", "crash_detection", "notifications", "local_worker")
        deadline = time.monotonic() + 60  # the services start one by one after the API answers
        while True:
            services = httpx.get(f"{srv.url}/orch/api/health", headers=srv.headers).json()["services"]
            if all(services.get(name) == "running" for name in names) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for name in names:
            assert services.get(name) == "running", services
        deadline = time.monotonic() + 60
        completed = []
        while not completed and time.monotonic() < deadline:
            page = httpx.get(
                f"{srv.url}/orch/api/flow_runs",
                params={"deployment_id": dep_id, "state_type": "COMPLETED"},
                headers=srv.headers,
            ).json()
            completed = page["items"]
            time.sleep(0.5)
        assert completed, srv.log_text()[-3000:]
        assert completed[0]["start_time"] >= completed[0]["expected_start_time"]


def test_overdue_scheduled_run_becomes_late(db_url: str) -> None:
    now = datetime.now(timezone.utc)
    with session_scope(db_url) as s:
        overdue = flow_runs.create_flow_run(s, flow_name="f", state=Scheduled(now - timedelta(seconds=60))).id
        recent = flow_runs.create_flow_run(s, flow_name="f", state=Scheduled(now - timedelta(seconds=2))).id
        future = flow_runs.create_flow_run(s, flow_name="f", state=Scheduled(now + timedelta(seconds=60))).id
    service = LateRunsService(db_url, late_after=15)
    assert service.run_once() == 1
    assert service.run_once() == 0  # already Late
    with session_scope(db_url) as s:
        names = {rid: flow_runs.read_flow_run(s, rid).state_name for rid in (overdue, recent, future)}
        history = [st.name for st in flow_runs.flow_run_states(s, overdue)]
    assert names == {overdue: "Late", recent: "Scheduled", future: "Scheduled"}
    assert history[-1] == "Late"
