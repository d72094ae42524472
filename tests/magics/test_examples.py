"""The example notebooks in `notebooks/` run cleanly, headless, with nbclient and a real kernel; what
they deploy works (a worker runs in this process, as JupyterLab's built-in worker would)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbhelpers import run_logs

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments
from jupyter_orch.runner import run_deployment

# the notebooks' database use is covered on both backends elsewhere; here SQLite only, for time
pytestmark = pytest.mark.timeout(180)
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
EXAMPLES = Path(__file__).parents[2] / "notebooks"


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A copy, so that running them leaves the checkout untouched."""
    return Path(shutil.copytree(EXAMPLES, tmp_path / "notebooks"))


def run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


def text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def test_the_examples_are_there() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.ipynb")) == [
        "01_etl_parameters.ipynb",
        "02_flow_magic_tour.ipynb",
        "03_cell_deployment.ipynb",
    ]


@sqlite_only
def test_etl_notebook_runs_and_deploys_itself_on_a_cron_schedule(
    nb_worker, orch_env: str, examples: Path
) -> None:
    nb = run(examples / "01_etl_parameters.ipynb")
    assert "Deployed 01_etl_parameters/daily" in text(nb.cells[-1])
    with session_scope(orch_env) as s:
        dep = deployments.read_deployment_by_name(s, "01_etl_parameters/daily")
        schedules = deployments.schedules_of(s, dep.id)
        assert [sc.schedule["cron"] for sc in schedules] == ["0 6 * * *"]
        assert set(dep.parameter_openapi_schema["properties"]) == {"day", "rows", "scale", "regions"}
    result = run_deployment("01_etl_parameters/daily", parameters={"rows": 9}, timeout=60, poll_interval=0.05)
    assert result.state_type == "COMPLETED", result.state
    logs = run_logs(orch_env, result.id)
    assert "extracted 9 rows for 2026-01-01" in logs and "Deployed" not in logs  # orch-skip cell skipped


@sqlite_only
def test_flow_magic_tour_runs(orch_env: str, examples: Path) -> None:
    nb = run(examples / "02_flow_magic_tour.ipynb")
    outputs = "\n".join(text(c) for c in nb.cells if c.cell_type == "code")
    assert "sum of squares: 30" in outputs and "succeeded after 2 attempts" in outputs
    assert "squares/" in outputs and "flaky/" in outputs  # %orch runs, as text/plain


@sqlite_only
def test_cell_deployment_example_runs_its_deployment(nb_worker, orch_env: str, examples: Path) -> None:
    nb = run(examples / "03_cell_deployment.ipynb")
    shown = text(nb.cells[5])
    assert "Deployed summary/hourly" in shown and "unrelated" not in shown
    assert "{'label': 'demo', 'count': 10, 'mean': 5.5, 'max': 10.0}" in shown
    final = nb.cells[-1].outputs[-1]
    assert "Completed" in final["data"]["text/plain"], final
