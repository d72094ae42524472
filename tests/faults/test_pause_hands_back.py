"""Finding 2: pausing a deployment or a work pool hands back the runs a worker claimed ahead.

A real worker process (`jupyter orch worker start`, claim-ahead on) holds runs due in the next
seconds when the pause comes; none of them may start after it. Before the fix 30 of 30 ran.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from jupyter_orch.db.models import FlowRun, FlowRunState, utcnow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import work_pools
from jupyter_orch.orchestration.store.schedules import schedule_runs

from .conftest import wait_for

CLAIM_AHEAD = "8"


def _runs(url: str, dep_id: str) -> list[FlowRun]:
    with session_scope(url) as s:
        rows = list(s.scalars(select(FlowRun).where(FlowRun.deployment_id == dep_id)))
        s.expunge_all()
        return rows


def _claimed_ahead(url: str, dep_id: str) -> list[FlowRun]:
    now = utcnow()
    return [
        r
        for r in _runs(url, dep_id)
        if r.state_type == "PENDING" and r.worker_name and (r.expected_start_time or now) > now
    ]


def _pool(url: str, name: str) -> None:
    with session_scope(url) as s:
        work_pools.create_work_pool(s, name=name)


def test_paused_deployment_starts_none_of_its_claimed_ahead_runs(
    db_url: str, flows_dir: Path, start_worker
) -> None:
    _pool(db_url, "pz")
    with session_scope(db_url) as s:
        dep_id = deps.upsert_deployment(
            s,
            flow_name="quick",
            name="every-second",
            entrypoint="flows.py:quick",
            path=str(flows_dir),
            work_pool_name="pz",
            schedules=[{"interval": 1}],
        ).id
        schedule_runs(s)
    worker = start_worker(
        "pz", db_url=db_url, extra=["--claim-ahead", CLAIM_AHEAD, "--heartbeat-interval", "0.5"]
    )
    # the worker runs the due ones and holds the next seconds' runs, prepared
    wait_for(lambda: any(r.state_type == "COMPLETED" for r in _runs(db_url, dep_id)), 60, "a completed run")
    held = wait_for(lambda: len(_claimed_ahead(db_url, dep_id)) >= 4 and _claimed_ahead(db_url, dep_id), 30)
    with session_scope(db_url) as s:
        deps.set_paused(s, dep_id, True)
    paused_at = utcnow()
    last_slot = max(r.expected_start_time for r in held)
    assert not _claimed_ahead(db_url, dep_id)  # handed back (auto-scheduled: deleted with the rest)

    def started_after_pause() -> list[str]:
        return [r.name for r in _runs(db_url, dep_id) if r.start_time and r.start_time > paused_at]

    # past the last slot the worker held (and a margin for a slow machine): nothing started
    while utcnow() < last_slot + timedelta(seconds=3):
        assert started_after_pause() == [], "a run of the paused deployment started"
        assert worker.proc.poll() is None
        wait_for(lambda: True, 0, every=0.2)
    assert started_after_pause() == []
    assert {r.state_type for r in _runs(db_url, dep_id)} <= {"COMPLETED", "RUNNING"}
    # resumed, it is scheduled again and the same worker runs it
    with session_scope(db_url) as s:
        deps.set_paused(s, dep_id, False)
        schedule_runs(s)
    wait_for(lambda: started_after_pause(), 60, "a run after the resume")


def test_paused_pool_hands_back_claims_and_runs_them_once_resumed(
    db_url: str, flows_dir: Path, start_worker
) -> None:
    _pool(db_url, "pp")
    with session_scope(db_url) as s:
        dep_id = deps.upsert_deployment(
            s,
            flow_name="quick",
            name="adhoc",
            entrypoint="flows.py:quick",
            path=str(flows_dir),
            work_pool_name="pp",
        ).id
    start_worker("pp", db_url=db_url, extra=["--claim-ahead", CLAIM_AHEAD, "--heartbeat-interval", "0.5"])
    wait_for(lambda: _worker_online(db_url, "pp"), 60, "the worker's first heartbeat")
    when = utcnow() + timedelta(seconds=5)
    with session_scope(db_url) as s:
        ids = [deps.create_flow_run_from_deployment(s, dep_id, scheduled_time=when).id for _ in range(6)]
    wait_for(lambda: len(_claimed_ahead(db_url, dep_id)) == 6, 30, "6 runs claimed ahead")
    with session_scope(db_url) as s:
        work_pools.update_work_pool(s, "pp", is_paused=True)
    runs = _runs(db_url, dep_id)
    assert {r.state_type for r in runs} == {"SCHEDULED"}, [(r.state_type, r.state_name) for r in runs]
    assert all((r.state_message or "").startswith("handed back") for r in runs)
    # while the pool is paused nothing starts, past the runs' time
    while utcnow() < when + timedelta(seconds=3):
        assert all(r.start_time is None for r in _runs(db_url, dep_id))
        wait_for(lambda: True, 0, every=0.2)
    with session_scope(db_url) as s:
        work_pools.update_work_pool(s, "pp", is_paused=False)
    wait_for(lambda: all(r.state_type == "COMPLETED" for r in _runs(db_url, dep_id)), 60, "all 6 completed")
    with session_scope(db_url) as s:
        history = s.execute(
            select(FlowRunState.flow_run_id, FlowRunState.type).where(FlowRunState.flow_run_id.in_(ids))
        ).all()
    for run_id in ids:
        types = [t for rid, t in history if rid == run_id]
        assert types.count("RUNNING") == 1, types  # each ran once
        assert types.count("PENDING") == 2, types  # claimed ahead, handed back, claimed again


def _worker_online(url: str, pool: str) -> bool:
    from jupyter_orch.orchestration.store.workers import list_workers

    with session_scope(url) as s:
        return any(w["status"] == "ONLINE" for w in list_workers(s, pool))


def test_claim_finds_a_pool_paused_meanwhile(db_url: str, flows_dir: Path) -> None:
    """The store half alone: a claim after the pause takes nothing, a queue pause hands back too."""
    _pool(db_url, "pq")
    with session_scope(db_url) as s:
        dep_id = deps.upsert_deployment(
            s,
            flow_name="quick",
            name="q",
            entrypoint="flows.py:quick",
            path=str(flows_dir),
            work_pool_name="pq",
        ).id
        run_id = deps.create_flow_run_from_deployment(
            s, dep_id, scheduled_time=utcnow() + timedelta(seconds=20)
        ).id
    from jupyter_orch.orchestration.store.workers import get_scheduled_flow_runs

    horizon = utcnow() + timedelta(seconds=30)
    with session_scope(db_url) as s:
        assert [r.id for r in get_scheduled_flow_runs(s, "pq", "w", 5, scheduled_before=horizon)] == [run_id]
    with session_scope(db_url) as s:
        work_pools.update_queue(s, "pq", "default", is_paused=True)
    with session_scope(db_url) as s:
        run = s.get(FlowRun, run_id)
        assert (run.state_type, run.state_message) == (
            "SCHEDULED",
            "handed back: work queue 'default' paused",
        )
        assert get_scheduled_flow_runs(s, "pq", "w", 5, scheduled_before=horizon) == []


def test_a_run_process_never_reclaims_a_run_handed_back(db_url: str, flows_dir: Path) -> None:
    """The start re-checks the claim: an engine flow's process whose run was handed back (here:
    its pool paused between the claim and the process start) exits without claiming it again."""
    import json
    import os
    import subprocess
    import sys

    (flows_dir / "eflows.py").write_text(
        "from jupyter_orch import flow\n@flow(name='eflow')\ndef eflow():\n    return 1\n"
    )
    _pool(db_url, "pe")
    with session_scope(db_url) as s:
        dep = deps.upsert_deployment(
            s,
            flow_name="eflow",
            name="e",
            entrypoint="eflows.py:eflow",
            path=str(flows_dir),
            work_pool_name="pe",
        )
        run_id = deps.create_flow_run_from_deployment(s, dep.id).id
        info = {k: getattr(dep, k) for k in ("id", "name", "flow_name", "kind", "entrypoint", "path")}
    from jupyter_orch.orchestration.store.workers import get_scheduled_flow_runs

    with session_scope(db_url) as s:
        assert [r.id for r in get_scheduled_flow_runs(s, "pe", "w", 5)] == [run_id]
    with session_scope(db_url) as s:
        work_pools.update_work_pool(s, "pe", is_paused=True)
    spec = {"flow_run_id": run_id, "parameters": {}, "deployment": info, "env": {}}
    env = {**os.environ, "JUPYTER_ORCH_DATABASE_URL": db_url, "JUPYTER_ORCH_HOME": str(flows_dir / "home")}
    env.pop("JUPYTER_ORCH_API_URL", None)
    err = flows_dir / "stderr.txt"
    with open(err, "w") as stderr:  # stdin stays open: its closing would tell the run its worker died
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_orch.engine.run_process"],
            stdin=subprocess.PIPE,
            stderr=stderr,
            env=env,
            start_new_session=True,
        )
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(spec) + "\n").encode())
        proc.stdin.flush()
        try:
            code = proc.wait(60)
        finally:
            proc.stdin.close()
    assert code != 0 and "not started" in err.read_text(), err.read_text()
    with session_scope(db_url) as s:
        run = s.get(FlowRun, run_id)
        assert (run.state_type, run.run_count, run.start_time) == ("SCHEDULED", 0, None)
