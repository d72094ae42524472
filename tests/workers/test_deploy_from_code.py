"""Deploying from code as Prefect 3 users do: `Flow.from_source(dir, entrypoint).deploy(...)`,
`flow.deploy(...)` and `jupyter_orch.deploy(*deployments)`, run by a real worker on SQLite and
PostgreSQL; what we do not support (images, remote sources, rrule, triggers) is a clear error."""

from __future__ import annotations

import textwrap
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
    with pytest.raises(ValueError, match="remote sources .* not supported yet"):
        jupyter_orch.Flow.from_source("https://github.com/org/repo.git", "flows/etl.py:etl")
    with pytest.raises(ValueError, match="outside the source directory"):
        jupyter_orch.Flow.from_source(project / "flows", "../outside.py:etl")
    with pytest.raises(ValueError, match="no file"):
        jupyter_orch.Flow.from_source(project, "flows/missing.py:etl")
    with pytest.raises(TypeError, match="is not a flow"):
        jupyter_orch.Flow.from_source(project, "flows/etl.py:not_a_flow")
    with pytest.raises(ValueError, match="rrule"):
        etl.to_deployment("r", rrule="FREQ=DAILY")
    with pytest.raises(ValueError, match="at least one deployment"):
        jupyter_orch.deploy()


def test_flow_defined_in_a_test_module_deploys_by_file(orch_env: str, tmp_path: Path) -> None:
    @flow
    def local_only() -> None:
        return None

    with pytest.raises(ValueError, match="module level"):
        local_only.deploy("x", print_next_steps=False)
