"""`jupyter orch deployment|work-pool|concurrency-limit|worker` in local-database mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_orch.cli.app import main
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments as deps

pytestmark = pytest.mark.postgres


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _items(out: str) -> list[dict]:
    data = json.loads(out)
    return data["items"] if isinstance(data, dict) else data


@pytest.fixture
def deployed(orch_env: str, tmp_path: Path) -> str:
    (tmp_path / "flows.py").write_text("def etl(n=1):\n    return n\n")
    with session_scope(orch_env) as s:
        deps.upsert_deployment(
            s,
            flow_name="etl",
            name="daily",
            entrypoint="flows.py:etl",
            path=str(tmp_path),
            parameters={"n": 1},
            schedules=[{"interval": 3600}],
        )
    return orch_env


def test_deployment_commands(deployed: str, capsys) -> None:
    code, out, _ = cli(capsys, "deployment", "ls", "--json")
    assert code == 0 and [d["name"] for d in _items(out)] == ["daily"]
    code, out, _ = cli(capsys, "deployment", "inspect", "etl/daily", "--json")
    assert code == 0 and json.loads(out)["parameters"] == {"n": 1}
    code, out, _ = cli(capsys, "deployment", "pause", "etl/daily")
    assert code == 0
    code, out, _ = cli(capsys, "deployment", "inspect", "etl/daily", "--json")
    assert json.loads(out)["paused"] is True
    assert cli(capsys, "deployment", "resume", "etl/daily")[0] == 0
    code, out, _ = cli(capsys, "deployment", "run", "etl/daily", "--param", "n=5", "--json")
    assert code == 0 and json.loads(out)["parameters"]["n"] == 5
    code, _, err = cli(capsys, "deployment", "inspect", "etl/nope")
    assert code != 0 and "nope" in err and len(err.strip().splitlines()) == 1
    assert cli(capsys, "deployment", "delete", "etl/daily")[0] == 0
    code, out, _ = cli(capsys, "deployment", "ls", "--json")
    assert "daily" not in out


def test_work_pool_and_concurrency_limit_commands(orch_env: str, capsys) -> None:
    assert cli(capsys, "work-pool", "create", "gpu", "--concurrency-limit", "2")[0] == 0
    code, out, _ = cli(capsys, "work-pool", "inspect", "gpu", "--json")
    assert code == 0 and json.loads(out)["concurrency_limit"] == 2
    assert cli(capsys, "work-pool", "pause", "gpu")[0] == 0
    code, out, _ = cli(capsys, "work-pool", "ls", "--json")
    assert {p["name"]: p["status"] for p in _items(out)}["gpu"] == "PAUSED"
    assert cli(capsys, "work-pool", "resume", "gpu")[0] == 0
    assert cli(capsys, "work-pool", "delete", "gpu")[0] == 0
    assert cli(capsys, "concurrency-limit", "create", "db", "3")[0] == 0
    code, out, _ = cli(capsys, "concurrency-limit", "ls", "--json")
    assert [(x["tag"], x["concurrency_limit"]) for x in _items(out)] == [("db", 3)]
    assert cli(capsys, "concurrency-limit", "delete", "db")[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ("work-pool", "create", "p", "--concurrency-limit", "-1"),
        ("concurrency-limit", "create", "db", "many"),
        ("worker", "start"),  # --pool is required
        ("deployment", "run", "etl/daily", "--param", "novalue"),
        ("deployment", "bogus"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(orch_env: str, capsys, argv: tuple[str, ...]) -> None:
    code, _, err = cli(capsys, *argv)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "error" in err


def test_deployment_run_watch_follows_the_run_to_its_end(deployed: str, capsys) -> None:
    """`--watch` shows a live bar (cell n of m for notebook runs) and exits 0 only on Completed."""
    import threading
    import time

    from jupyter_orch.orchestration.store import flow_runs
    from jupyter_orch.states import State

    def execute() -> None:  # what a worker would do, step by step, while the CLI watches
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with session_scope(deployed) as s:
                runs, _ = flow_runs.list_flow_runs(s, flow_name="etl")
            runs = [r for r in runs if not r.auto_scheduled]  # the ad hoc run, not the schedule's
            if runs:
                break
            time.sleep(0.05)
        run_id = runs[0].id
        steps = [State("PENDING"), State("RUNNING")]
        for state in steps:
            with session_scope(deployed) as s:
                flow_runs.set_flow_run_state(s, run_id, state)
        for cell in (1, 2):
            time.sleep(0.4)
            with session_scope(deployed) as s:
                flow_runs.update_flow_run(s, run_id, progress={"cell": cell, "cells": 2})
        with session_scope(deployed) as s:
            flow_runs.set_flow_run_state(s, run_id, State("COMPLETED"))

    worker = threading.Thread(target=execute)
    worker.start()
    code, out, err = cli(capsys, "deployment", "run", "etl/daily", "--watch", "--timeout", "30")
    worker.join()
    assert code == 0, (out, err)
    assert "is Completed" in out
    assert "2/2" in err and "Running" in err


def test_deployment_run_watch_times_out_with_exit_1(deployed: str, capsys) -> None:
    code, out, _ = cli(capsys, "deployment", "run", "etl/daily", "--watch", "--timeout", "0.5")
    assert code == 1 and "is Scheduled" in out
