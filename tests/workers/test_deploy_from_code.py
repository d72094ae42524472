"""Deploying from code as Prefect 3 users do: `Flow.from_source(dir, entrypoint).deploy(...)`,
`flow.deploy(...)` and `jupyter_orch.deploy(*deployments)`, run by a real worker on SQLite and
PostgreSQL; what we do not support (images, remote sources, rrule, triggers) is a clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import jupyter_orch
from jupyter_orch import flow
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments as deps
from jupyter_orch.orchestration.store import work_pools
from jupyter_orch.runner import run_deployment

PROJECT = textwrap.dedent(
    """
    from jupyter_orch import flow, task

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(name="etl-from-source")
    def etl(n: int = 1) -> int:
        total = double(n)
        print(f"total={total}")
        return total

    def not_a_flow():
        return 1
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "etl.py").write_text(PROJECT)
    return root


def _deployment(url: str, dep_id: str) -> dict:
    with session_scope(url) as s:
        row = deps.read_deployment(s, dep_id)
        return {
            "path": row.path,
            "entrypoint": row.entrypoint,
            "parameters": row.parameters,
            "work_pool_name": row.work_pool_name,
            "schedules": [sched.schedule for sched in deps.schedules_of(s, dep_id)],
        }


def test_from_source_deploy_runs_from_the_source_directory(
    orch_env: str, project: Path, worker, capsys: pytest.CaptureFixture[str]
) -> None:
    etl = jupyter_orch.Flow.from_source(str(project), "flows/etl.py:etl")
    assert etl.name == "etl-from-source"
    dep_id = etl.deploy("nightly", work_pool_name="default", cron="0 6 * * *", parameters={"n": 3})
    assert "Deployed etl-from-source/nightly" in capsys.readouterr().out
    row = _deployment(orch_env, dep_id)
    assert row["path"] == str(project.resolve()) and row["entrypoint"] == "flows/etl.py:etl"
    assert row["parameters"] == {"n": 3} and row["work_pool_name"] == "default"
    assert [sched["cron"] for sched in row["schedules"]] == ["0 6 * * *"]
    run = run_deployment("etl-from-source/nightly", timeout=60)
    assert run.state.is_completed(), run.state
    assert run.parameters == {"n": 3}


def test_deploy_many_sets_the_pool_and_returns_ids(orch_env: str, project: Path) -> None:
    with session_scope(orch_env) as s:
        work_pools.create_work_pool(s, "pool-x")
    etl = jupyter_orch.Flow.from_source(project, "flows/etl.py:etl")
    ids = jupyter_orch.deploy(
        etl.to_deployment("a", interval=3600),
        etl.to_deployment("b", schedules=[{"cron": "0 1 * * *", "timezone": "Europe/Paris"}]),
        work_pool_name="pool-x",
        print_next_steps_message=False,
    )
    assert len(set(ids)) == 2
    a, b = (_deployment(orch_env, i) for i in ids)
    assert a["work_pool_name"] == b["work_pool_name"] == "pool-x"
    assert a["schedules"][0]["interval"] == 3600
    assert b["schedules"][0] == {"cron": "0 1 * * *", "timezone": "Europe/Paris"}


def test_what_we_do_not_run_is_a_clear_error(orch_env: str, project: Path) -> None:
    (project / "outside.py").write_text(PROJECT)
    etl = jupyter_orch.Flow.from_source(project, "flows/etl.py:etl")
    with pytest.raises(ValueError, match="image= is not supported.*processes"):
        etl.deploy("img", work_pool_name="default", image="my-registry/etl:latest")
    with pytest.raises(ValueError, match="remote sources .* not supported"):
        jupyter_orch.Flow.from_source("https://github.com/org/repo.git", "flows/etl.py:etl")
    with pytest.raises(ValueError, match="outside the source directory"):
        jupyter_orch.Flow.from_source(project / "flows", "../outside.py:etl")
    with pytest.raises(ValueError, match="no file"):
        jupyter_orch.Flow.from_source(project, "flows/missing.py:etl")
    with pytest.raises(TypeError, match="is not a flow"):
        jupyter_orch.Flow.from_source(project, "flows/etl.py:not_a_flow")
    with pytest.raises(ValueError, match="rrule"):
        etl.to_deployment("r", rrule="FREQ=DAILY")
    with pytest.raises(ValueError, match="Only one of interval, cron, rrule, or schedules"):
        etl.to_deployment("two", cron="0 6 * * *", interval=3600)  # Prefect's rule: one kind
    with pytest.raises(ValueError, match="at least one deployment"):
        jupyter_orch.deploy()


def test_flow_defined_in_a_function_deploys_by_name_with_a_warning(
    orch_env: str, caplog: pytest.LogCaptureFixture
) -> None:
    """As Prefect's: a flow defined inside a function is deployed as `file.py:name` (a run can load
    it only if the file's top level defines that name), and a warning says so."""

    @flow
    def local_only() -> None:
        return None

    dep_id = local_only.deploy("x", print_next_steps=False)
    assert _deployment(orch_env, dep_id)["entrypoint"] == "test_deploy_from_code.py:local_only"
    assert "defined inside a function" in caplog.text


def test_prefects_flow_from_source_and_schedule_objects(orch_env: str, project: Path) -> None:
    """`flow.from_source(...)` on the decorator itself, and `schedules=[Interval(...), Cron(...)]`
    (Prefect's docs write both)."""
    from jupyter_orch.schedules import Cron, Interval

    etl = flow.from_source(source=str(project), entrypoint="flows/etl.py:etl")
    dep = etl.to_deployment(
        "sched",
        schedules=[
            Interval(timedelta(minutes=10), anchor_date=datetime(2023, 1, 1), timezone="America/Chicago"),
            Cron("0 6 * * *"),
        ],
    )
    row = _deployment(orch_env, dep.apply())
    assert [s.get("interval") for s in row["schedules"]] == [600.0, None]
    assert row["schedules"][0]["timezone"] == "America/Chicago" and row["schedules"][1]["cron"] == "0 6 * * *"


SERVED = """
import sys
from jupyter_orch import flow

@flow
def served(n: int = 1) -> int:
    return n

served.serve(name="svc", interval=3600, pause_on_shutdown=sys.argv[1] == "pause")
"""


@pytest.mark.parametrize("mode", ["pause", "keep"])
def test_serve_pauses_its_schedules_on_shutdown_unless_told_not_to(
    orch_env: str, tmp_path: Path, mode: str
) -> None:
    """Ctrl-C ends `flow.serve`; its deployment's schedule is then paused (Prefect's default), or
    left active with `pause_on_shutdown=False`."""
    script = tmp_path / "served.py"
    script.write_text(SERVED)
    env = {**os.environ, "PYTHONPATH": str(Path(jupyter_orch.__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, str(script), mode], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, "")  # Prefect's starting message, then ours once serving
        assert "is being served and polling for scheduled runs!" in next(lines)
        assert any("Serving served/svc" in line for line in lines)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
    finally:
        proc.kill()
    with session_scope(orch_env) as s:
        assert deps.read_deployment_by_name(s, "served/svc").paused is (mode == "pause")


def test_a_flow_whose_code_is_in_a_storage_deploys_through_from_storage(
    orch_env: str, project: Path
) -> None:
    """Prefect's `RunnerDeployment.from_storage` (what `to_deployment` of a flow carrying
    `_storage`/`_entrypoint` calls): the flow is loaded from the storage and its deployment runs
    it from there, under the calling flow's name."""
    from jupyter_orch.runner import RunnerDeployment
    from jupyter_orch.runner.storage import LocalStorage

    where = LocalStorage(path=str(project))
    direct = RunnerDeployment.from_storage(
        storage=where, entrypoint="flows/etl.py:etl", name="direct", flow_name="renamed", cron="0 6 * * *"
    )
    assert (direct.name, direct.flow_name, direct.entrypoint) == ("direct", "renamed", "flows/etl.py:etl")
    assert direct.path == str(project.resolve()) and direct.storage is where
    assert [s.schedule.cron for s in direct.schedules] == ["0 6 * * *"]

    @flow(name="local-copy")
    def local_copy():
        pass

    local_copy._storage, local_copy._entrypoint = where, "flows/etl.py:etl"
    via_storage = local_copy.to_deployment("nightly", parameters={"n": 2})
    assert (via_storage.flow_name, via_storage.path) == ("local-copy", str(project.resolve()))
    assert via_storage.parameters == {"n": 2} and via_storage.storage is where
