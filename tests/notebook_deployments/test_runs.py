"""Notebook deployment runs through the worker, with real papermill and real kernels."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbhelpers import read_run, run_logs, wait_for, write_notebook

from jupyter_orch.orchestration.errors import Invalid
from jupyter_orch.parameters import ParameterError
from jupyter_orch.runner import run_deployment
from jupyter_orch.runner.notebooks import deploy_notebook

pytestmark = pytest.mark.timeout(120)

PARAMS = """\
from datetime import date
i = 0
f = 0.0
s = "a"
b = False
l = [0]
d = {"k": 0}
maybe: int | None = 3
when = date(2020, 1, 1)
"""
REPORT = (
    "import json\n"
    "print(json.dumps({k: [type(v).__name__, str(v) if k == 'when' else v] for k, v in "
    "dict(i=i, f=f, s=s, b=b, l=l, d=d, maybe=maybe, when=when).items()}, sort_keys=True))"
)


def texts(nb: nbformat.NotebookNode) -> list[str]:
    """The text outputs of every code cell: what must agree between two executions."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            parts = [o.get("text") or o.get("data", {}).get("text/plain", "") for o in cell.outputs]
            out.append("".join(parts))
    return out


def test_parameters_of_each_type_round_trip(nb_worker, orch_env: str, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "types.ipynb", PARAMS, REPORT, "i * 2")
    dep = deploy_notebook(nb, name="t", parameters={"s": "default"})
    assert dep["flow_name"] == "types" and dep["kind"] == "notebook"
    assert dep["parameter_openapi_schema"]["properties"]["when"]["format"] == "date"
    given = {"i": 7, "f": 2.5, "b": True, "l": [1, "x"], "d": {"a": [1]}, "maybe": None, "when": "2024-02-29"}
    run = run_deployment("types/t", parameters=given, timeout=60, poll_interval=0.05)
    assert run.state_type == "COMPLETED", run.state
    printed = json.loads(texts(nbformat.read(run.output_location, as_version=4))[-2])
    assert printed == {
        "i": ["int", 7],
        "f": ["float", 2.5],
        "s": ["str", "default"],
        "b": ["bool", True],
        "l": ["list", [1, "x"]],
        "d": ["dict", {"a": [1]}],
        "maybe": ["NoneType", None],
        "when": ["str", "2024-02-29"],  # validated as a date, injected as papermill does: ISO text
    }
    home = Path(dep["storage"]["notebook"]).parents[2]
    assert run.output_location == str(home / "outputs" / f"{run.id}.ipynb")
    out = nbformat.read(run.output_location, as_version=4)
    injected = [c for c in out.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "i = 7" in injected[0].source
    assert texts(out)[-1] == "14"  # every output is kept, the last expression's too
    progress = read_run(orch_env, run.id).progress
    assert progress["cell"] == progress["cells"] == len(out.cells) and len(progress["durations"]) == len(
        out.cells
    )
    assert '"i": ["int", 7]' in run_logs(orch_env, run.id)


def test_bad_parameter_is_rejected_before_a_run_exists(orch_env: str, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "p.ipynb", "n: int = 1", "print(n)")
    with pytest.raises(ParameterError) as bad_default:
        deploy_notebook(nb, name="p", parameters={"n": "many"})
    assert bad_default.value.field == "n"
    deploy_notebook(nb, name="p")
    with pytest.raises(Invalid) as bad_run:  # no run is created, so no kernel can start
        run_deployment("p/p", parameters={"n": "many"}, timeout=0)
    assert bad_run.value.field == "parameters.n" and "integer" in bad_run.value.message


def test_failing_cell_ends_failed_with_its_traceback(nb_worker, orch_env: str, tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "boom.ipynb", None, "print('before')", "def f():\n    1 / 0\nf()", "print('never')"
    )
    deploy_notebook(nb, name="b")
    run = run_deployment("boom/b", timeout=60, poll_interval=0.05)
    assert run.state_type == "FAILED" and run.state.name == "Failed"
    assert "ZeroDivisionError" in run.state.message and "cell 3" in run.state.message
    text = run_logs(orch_env, run.id)
    assert "ZeroDivisionError: division by zero" in text and "----> 2     1 / 0" in text
    out = texts(nbformat.read(run.output_location, as_version=4))
    assert out[0] == "before\n" and out[-1] == ""


def test_dead_kernel_fails_fast_and_keeps_the_partial_output(
    nb_worker, orch_env: str, tmp_path: Path
) -> None:
    nb = write_notebook(
        tmp_path / "die.ipynb", None, "print('alive')", "import os\nos._exit(1)", "print('x')"
    )
    deploy_notebook(nb, name="d")
    started = time.monotonic()
    run = run_deployment("die/d", timeout=60, poll_interval=0.05)
    assert time.monotonic() - started < 15
    assert run.state_type == "FAILED"
    assert "kernel died in cell 3" in run.state.message and "exited with code 1" in run.state.message
    assert texts(nbformat.read(run.output_location, as_version=4))[0] == "alive\n"


def test_run_past_its_timeout_ends_timed_out(nb_worker, orch_env: str, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "slow.ipynb", None, "print('start')", "import time\ntime.sleep(60)")
    deploy_notebook(nb, name="s", timeout_seconds=1.5)
    started = time.monotonic()
    run = run_deployment("slow/s", timeout=60, poll_interval=0.05)
    assert time.monotonic() - started < 15
    assert run.state_type == "FAILED" and run.state.name == "TimedOut"
    assert "1.5s execution timeout" in run.state.message
    assert texts(nbformat.read(run.output_location, as_version=4))[0] == "start\n"


def test_snapshot_is_kept_and_live_reads_the_file(nb_worker, orch_env: str, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "edit.ipynb", "x = 1", "print('version', 1, x)")
    snap = deploy_notebook(nb, name="snap")
    deploy_notebook(nb, name="live", live=True)
    assert snap["storage"]["type"] == "snapshot" and Path(snap["storage"]["notebook"]).is_file()
    assert snap["id"] in snap["storage"]["notebook"]
    write_notebook(nb, "x = 1", "print('version', 2, x)")
    old = run_deployment("edit/snap", timeout=60, poll_interval=0.05)
    new = run_deployment("edit/live", timeout=60, poll_interval=0.05)
    assert "version 1 1" in run_logs(orch_env, old.id)
    assert "version 2 1" in run_logs(orch_env, new.id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # about papermill, not the database
def test_same_outputs_as_the_papermill_command_line(nb_worker, orch_env: str, tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "same.ipynb", PARAMS, REPORT, "sorted(d.items()), i / 3")
    deploy_notebook(nb, name="s")
    params = {"i": 5, "s": "hello", "d": {"z": 1}, "b": True}
    ours = run_deployment("same/s", parameters=params, timeout=60, poll_interval=0.05)
    assert ours.state_type == "COMPLETED"
    theirs = tmp_path / "papermill-out.ipynb"
    args = [a for k, v in params.items() for a in ("-y", json.dumps({k: v}))]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(nb),
            str(theirs),
            *args,
            "--no-progress-bar",
            "-k",
            "python3",
        ],
        check=True,
        capture_output=True,
    )
    ours_nb = nbformat.read(ours.output_location, as_version=4)
    theirs_nb = nbformat.read(theirs, as_version=4)
    assert texts(ours_nb) == texts(theirs_nb)
    assert texts(ours_nb)[-2].startswith('{"b": ["bool", true]')


def test_cancelling_a_running_notebook_kills_its_kernel(nb_worker, orch_env: str, tmp_path: Path) -> None:
    from jupyter_orch.db.session import session_scope
    from jupyter_orch.orchestration.store import flow_runs
    from jupyter_orch.states import Cancelling

    nb = write_notebook(
        tmp_path / "long.ipynb", None, "print('go', flush=True)", "import time\ntime.sleep(60)"
    )
    deploy_notebook(nb, name="l")
    run = run_deployment("long/l", timeout=0)
    wait_for(lambda: read_run(orch_env, run.id).progress and read_run(orch_env, run.id).progress["cell"] == 3)
    with session_scope(orch_env) as s:
        flow_runs.set_flow_run_state(s, run.id, Cancelling())
    wait_for(lambda: read_run(orch_env, run.id).state_type == "CANCELLED", timeout=20)
