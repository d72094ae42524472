"""`%%flow` and `%orch` in real kernels (nbclient) and in an in-process IPython shell."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from nbhelpers import KERNELSPEC, run_logs

from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import deployments, flow_runs, task_runs
from jupyter_orch.widgets import RunsView, RunView

# kernel-side behaviour; the store's two backends are covered by tests/notebook_deployments
pytestmark = [pytest.mark.timeout(120), pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

PARAMS = "# parameters\nn: int = 3\nlabel = 'x'"
CELLS = [
    "%load_ext jupyter_orch",
    "from jupyter_orch import task\n\n@task\ndef inc(x):\n    return x + 1",
    "base = 10",
    "unrelated = 'not needed'",
    "base = base * 2",
    "%%flow counting --log-prints --deploy --deployment-name d --param n=4\n"
    "values = [inc(base + i) for i in range(n)]\nprint(label, values)",
    "print(sum(values))",
]


def execute(
    cells: list[str], path: Path, params: str | None = PARAMS, allow_errors: bool = False
) -> nbformat.NotebookNode:
    sources = ([params] if params else []) + cells
    nb = new_notebook(cells=[new_code_cell(s) for s in sources], metadata={"kernelspec": KERNELSPEC})
    if params:
        nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", resources=resources, allow_errors=allow_errors
    )
    client.execute()
    nbformat.write(nb, path)
    return nb


def outputs(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def _flow_runs(url: str, flow_name: str) -> list:
    with session_scope(url) as s:
        rows, _ = flow_runs.list_flow_runs(s, flow_name=flow_name)
        for r in rows:
            s.expunge(r)
        return rows


def test_flow_cell_in_a_real_kernel_is_a_flow_run_with_task_runs(orch_env: str, tmp_path: Path) -> None:
    nb = execute(CELLS, tmp_path / "magic.ipynb")
    assert outputs(nb.cells[-1]) == "66\n"  # names assigned in the flow cell stay in the namespace
    (run,) = _flow_runs(orch_env, "counting")
    assert run.state_type == "COMPLETED"
    with session_scope(orch_env) as s:
        tasks = task_runs.list_task_runs(s, flow_run_id=run.id)[0]
        assert sorted(t.state_type for t in tasks) == ["COMPLETED"] * 3
    assert "x [21, 22, 23]" in run_logs(orch_env, run.id)  # --log-prints
    # the run's INFO lines are the cell's ordinary output (stdout), not the red stderr box
    streams = {o.name: o.text for o in nb.cells[-2].outputs if o.output_type == "stream"}
    assert "| INFO" in streams.get("stdout", "") and "x [21, 22, 23]" in streams["stdout"]
    assert "| INFO" not in streams.get("stderr", "")


def test_cell_deployment_takes_exactly_the_cells_it_needs(
    nb_worker, orch_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "saved.ipynb"
    nbformat.write(new_notebook(), path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))  # the saved-notebook rule (Jupyter Server >= 2)
    # the kernel reads the saved file: write it with the cells first, as a user's save would
    sources = [PARAMS, *CELLS]
    nb = new_notebook(cells=[new_code_cell(s) for s in sources], metadata={"kernelspec": KERNELSPEC})
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    executed = execute(CELLS, path)
    shown = outputs(executed.cells[6])
    assert "from saved notebook saved.ipynb" in shown and "cell 1 [parameters]" in shown
    with session_scope(orch_env) as s:
        dep = deployments.read_deployment_by_name(s, "counting/d")
        snapshot, schema, defaults = dep.storage["notebook"], dep.parameter_openapi_schema, dep.parameters
    cells = [c.source for c in nbformat.read(snapshot, as_version=4).cells]
    body = CELLS[5].split("\n", 1)[1]
    assert cells == [PARAMS, CELLS[1], CELLS[2], CELLS[4], body]  # not %load_ext, not `unrelated`
    assert set(schema["properties"]) == {"n", "label"} and defaults == {"n": 4}
    from jupyter_orch.runner import run_deployment

    run = run_deployment("counting/d", parameters={"label": "dep"}, timeout=60, poll_interval=0.05)
    assert run.state_type == "COMPLETED", run.state
    assert "dep [21, 22, 23, 24]" in run_logs(orch_env, run.id)


@pytest.fixture
def shell(orch_env: str):
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext jupyter_orch")
    yield shell
    shell.run_cell("%unload_ext jupyter_orch")


def test_history_rule_retries_and_timeout_in_an_ipython_shell(shell, orch_env: str) -> None:
    shell.run_cell("# parameters\nk = 2", store_history=True)
    shell.run_cell("attempts = []", store_history=True)
    shell.run_cell("noise = 1", store_history=True)
    flaky = "%%flow flaky --retries 1 --deploy\nattempts.append(k)\nassert len(attempts) > 1\nlen(attempts)"
    result = shell.run_cell(flaky, store_history=True)
    assert result.result == 2 and shell.user_ns["attempts"] == [2, 2]
    (run,) = _flow_runs(orch_env, "flaky")
    assert run.state_type == "COMPLETED" and run.run_count == 2
    with session_scope(orch_env) as s:
        dep = deployments.read_deployment_by_name(s, "flaky/default")
        cells = [c.source for c in nbformat.read(dep.storage["notebook"], as_version=4).cells]
    assert cells == ["# parameters\nk = 2", "attempts = []", flaky.split("\n", 1)[1]]

    slow = shell.run_cell("%%flow slow --timeout 0.5\nimport time\ntime.sleep(5)", store_history=True)
    assert isinstance(slow.error_in_exec, TimeoutError)
    (run,) = _flow_runs(orch_env, "slow")
    assert run.state_type == "FAILED" and run.state_name == "TimedOut"
    failed = shell.run_cell("%%flow broken\nraise KeyError('nope')", store_history=True)
    assert isinstance(failed.error_in_exec, KeyError)
    assert _flow_runs(orch_env, "broken")[0].state_type == "FAILED"
    bad = shell.run_cell("%%flow x --retries many\npass")
    assert bad.error_in_exec is not None and "invalid int value" in str(bad.error_in_exec)


def test_orch_run_shows_the_run_live_and_ends_with_its_final_text(
    nb_worker, orch_env: str, tmp_path: Path
) -> None:
    from jupyter_orch.runner.notebooks import deploy_notebook

    target = tmp_path / "target.ipynb"
    nbformat.write(
        new_notebook(
            cells=[new_code_cell("n = 1", metadata={"tags": ["parameters"]}), new_code_cell("print(n)")],
            metadata={"kernelspec": KERNELSPEC},
        ),
        target,
    )
    deploy_notebook(target, name="w")
    nb = execute(
        [
            "%load_ext jupyter_orch",
            "%orch run target/w --param n=5 --wait --timeout 60",
            "%orch run target/w --param n=x",
        ],
        tmp_path / "viewer.ipynb",
        params=None,
        allow_errors=True,
    )
    shown = nb.cells[1].outputs
    assert any(o.output_type == "display_data" for o in shown)
    final = [o for o in shown if o.output_type == "update_display_data"] or shown
    text = final[-1]["data"]["text/plain"]
    assert "target/" in text and "Completed" in text and "3/3 cells" in text
    assert outputs(nb.cells[2]) == "UsageError: parameter 'n': expected integer, got 'x'\n"


def test_run_view_text_and_widget_follow_the_run(nb_worker, orch_env: str, tmp_path: Path) -> None:
    from jupyter_orch.runner import run_deployment
    from jupyter_orch.runner.notebooks import deploy_notebook

    target = tmp_path / "two.ipynb"
    nbformat.write(
        new_notebook(
            cells=[new_code_cell("x = 1"), new_code_cell("x + 1")], metadata={"kernelspec": KERNELSPEC}
        ),
        target,
    )
    deploy_notebook(target, name="v")
    run = run_deployment("two/v", timeout=0)
    view = RunView(run.raw, interval=0.05)
    assert view.widget is None  # no kernel here: text only
    assert "Scheduled" in view._repr_mimebundle_()["text/plain"]
    view.start()
    assert view.wait(60) and view.state_type == "COMPLETED"
    assert "[####################] 2/2 cells" in view.text()
    widget = view._build()  # what a kernel would show
    view._sync()
    assert view._bar.value == view._bar.max == 2 and view._bar.bar_style == "success"
    assert "Completed" in view._label.value and widget.children[0] is view._label
    runs = RunsView(limit=5, deployment_id=run.raw["deployment_id"])
    runs.fetch()
    # `%orch runs` shows when a run started as people read it, not a raw ISO timestamp
    assert re.search(r"two/\S+  Completed  \d\d:\d\d:\d\d \((just now|\d+ s ago)\)", runs.text()), runs.text()
    runs._build()
    runs._sync()
    assert "ago)</td>" in runs._table.value or "just now)</td>" in runs._table.value
    assert run.raw["expected_start_time"][:10] not in runs._table.value
