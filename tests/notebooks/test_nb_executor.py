"""Executing notebooks through papermill with a real `python3` kernel."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from jupyter_orch.notebooks import executor as executor_module
from jupyter_orch.notebooks.dependencies import build_cell_notebook
from jupyter_orch.notebooks.executor import (
    CellExecutionError,
    CellTimeout,
    ExecutionCallbacks,
    KernelDied,
    execute_notebook,
)
from jupyter_orch.parameters import ParameterError

pytestmark = pytest.mark.timeout(60)

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
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
REPORT = "import json\nprint(json.dumps({k: [type(v).__name__, v] for k, v in dict(i=i, f=f, s=s, b=b, l=l, d=d, maybe=maybe, when=when).items()}, sort_keys=True))"  # noqa: E501


def write(path: Path, *sources: str, params: str | None = PARAMS) -> Path:
    cells = [new_markdown_cell("# test notebook")]
    if params is not None:
        cells.append(new_code_cell(params, metadata={"tags": ["parameters"]}))
    cells += [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}), path)
    return path


def texts(nb: nbformat.NotebookNode) -> list[str]:
    """Text outputs of every code cell, the comparable part of an executed notebook."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.outputs:
            if out.output_type == "stream":
                parts.append(f"{out.name}:{out.text}")
            elif out.output_type in ("execute_result", "display_data"):
                parts.append(out.data.get("text/plain", ""))
            elif out.output_type == "error":
                parts.append(f"{out.ename}:{out.evalue}")
        found.append("".join(parts))
    return found


INJECTED = {
    "i": 42,
    "f": 2.5,
    "s": 'hé "quoted"\nline',
    "b": True,
    "l": [1, "two", 3.0, None],
    "d": {"nested": {"list": [1, 2]}, "flag": False},
    "maybe": None,
    "when": "2024-02-29",
}


@pytest.fixture(scope="module")
def typed_run(tmp_path_factory):
    """One run with every parameter type and all callbacks recorded."""
    tmp = tmp_path_factory.mktemp("typed")
    events: list[tuple] = []
    callbacks = ExecutionCallbacks(
        on_cell_start=lambda *a: events.append(("start", *a)),
        on_cell_end=lambda *a: events.append(("end", *a)),
        on_log=lambda *a: events.append(("log", *a)),
    )
    source = write(tmp / "in.ipynb", REPORT, "import time; time.sleep(0.3); 6 * 7")
    result = execute_notebook(source, tmp / "out" / "out.ipynb", INJECTED, callbacks=callbacks)
    return result, nbformat.read(result.output_path, as_version=4), events


def test_parameters_of_every_type_round_trip(typed_run):
    _, nb, _ = typed_run
    report = json.loads(nb.cells[3].outputs[0].text)
    assert report == {
        "i": ["int", 42],
        "f": ["float", 2.5],
        "s": ["str", 'hé "quoted"\nline'],
        "b": ["bool", True],
        "l": ["list", [1, "two", 3.0, None]],
        "d": ["dict", {"nested": {"list": [1, 2]}, "flag": False}],
        "maybe": ["NoneType", None],
        "when": ["str", "2024-02-29"],  # dates travel as ISO strings, as papermill injects them
    }


def test_output_notebook_has_injected_cell_and_outputs(typed_run):
    result, nb, _ = typed_run
    assert result.total_cells == len(nb.cells) == 5 and result.cells_executed == 5
    injected = nb.cells[2]
    assert injected.metadata.tags == ["injected-parameters"] and "i = 42" in injected.source
    assert texts(nb)[-1] == "42"
    assert all(c.metadata.papermill.status == "completed" for c in nb.cells)
    assert nb.metadata.papermill.parameters["i"] == 42


def test_progress_callbacks_in_order_with_durations(typed_run):
    _, _, events = typed_run
    starts = [e[1] for e in events if e[0] == "start"]
    ends = [e for e in events if e[0] == "end"]
    assert starts == [0, 1, 2, 3, 4] and [e[1] for e in ends] == starts
    order = [(e[0], e[1]) for e in events if e[0] != "log"]
    assert order == [(kind, i) for i in range(5) for kind in ("start", "end")]
    assert all(e[2] == 5 for e in events if e[0] in ("start", "end"))
    assert events[0][3] == "# test notebook" and events[6][:4] == ("start", 3, 5, "import json")
    assert 0.3 <= ends[4][3] < 5 and ends[4][4] == "42\n"
    logs = [e for e in events if e[0] == "log"]
    assert logs and logs[0][1:3] == (3, "stdout") and '"i": ["int", 42]' in logs[0][3]


def test_bad_parameter_rejected_before_kernel_starts(tmp_path, monkeypatch):
    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(executor_module.OrchEngine, "execute_notebook", no_kernel)
    source = write(tmp_path / "in.ipynb", "print(i)")
    with pytest.raises(ParameterError) as info:
        execute_notebook(source, tmp_path / "out.ipynb", {"i": "forty"})
    assert info.value.field == "i" and "expected integer, got 'forty'" in str(info.value)
    with pytest.raises(ParameterError, match="unknown parameter 'j'"):
        execute_notebook(source, tmp_path / "out.ipynb", {"j": 1})
    assert not (tmp_path / "out.ipynb").exists()


def test_cell_error_raises_with_traceback_and_keeps_partial_notebook(tmp_path):
    source = write(
        tmp_path / "in.ipynb",
        "print('before')",
        "def boom():\n    raise ValueError('bad value')\nboom()",
        "print('never')",
    )
    out = tmp_path / "out.ipynb"
    with pytest.raises(CellExecutionError) as info:
        execute_notebook(source, out)
    err = info.value
    assert (err.cell_index, err.ename, err.evalue) == (3, "ValueError", "bad value")
    assert "boom()" in err.traceback_text and "\x1b[" not in err.traceback_text
    nb = nbformat.read(out, as_version=4)
    assert texts(nb)[1:] == ["stdout:before\n", "ValueError:bad value", ""]
    assert nb.cells[3].metadata.papermill.status == "failed" and nb.metadata.papermill.exception


def test_kernel_death_is_reported_quickly(tmp_path):
    source = write(
        tmp_path / "in.ipynb", "print('alive', flush=True)", "import os\nos._exit(1)", "print('never')"
    )
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    with pytest.raises(KernelDied) as info:
        execute_notebook(source, out)
    assert time.monotonic() - started < 10
    assert info.value.cell_index == 3 and "exited with code 1" in info.value.reason
    nb = nbformat.read(out, as_version=4)
    assert texts(nb)[1] == "stdout:alive\n" and nb.cells[3].metadata.papermill.status == "failed"


@pytest.mark.parametrize(
    "body",
    [
        "import time\ntime.sleep(60)",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    ],
    ids=["interruptible", "ignores-interrupt"],
)
def test_execution_timeout_covers_the_whole_run(tmp_path, body):
    # Each cell alone is shorter than the timeout; together they exceed it.
    source = write(tmp_path / "in.ipynb", "import time\ntime.sleep(1)", body, params=None)
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    with pytest.raises(CellTimeout) as info:
        execute_notebook(source, out, execution_timeout=2)
    elapsed = time.monotonic() - started
    assert 2 <= elapsed < 15
    assert info.value.cell_index == 2 and info.value.source_preview == body.split("\n")[0]
    assert "2s execution timeout in cell 2 ('import" in str(info.value)
    assert nbformat.read(out, as_version=4).cells[2].metadata.papermill.status == "failed"


def test_same_outputs_as_papermill_cli(tmp_path):
    source = write(
        tmp_path / "in.ipynb",
        "print(i * 2, s)",
        "import sys\nprint('to stderr', file=sys.stderr)\n{'l': l, 'f': f}",
        "from IPython.display import display\ndisplay(d)\nb",
    )
    params = {"i": 21, "s": "text", "l": [1, 2], "f": 0.25, "d": {"x": 1}, "b": True}
    ours = execute_notebook(source, tmp_path / "ours.ipynb", params)
    cli = [sys.executable, "-m", "papermill", str(source), str(tmp_path / "cli.ipynb"), "--no-progress-bar"]
    cli += [
        "-p",
        "i",
        "21",
        "-p",
        "s",
        "text",
        "-y",
        json.dumps({"l": [1, 2], "f": 0.25, "d": {"x": 1}, "b": True}),
    ]
    subprocess.run(cli, check=True, capture_output=True, timeout=50)
    theirs = nbformat.read(tmp_path / "cli.ipynb", as_version=4)
    mine = nbformat.read(ours.output_path, as_version=4)
    assert texts(mine) == texts(theirs)
    assert texts(mine)[-3:] == [
        "stdout:42 text\n",
        "stderr:to stderr\n{'l': [1, 2], 'f': 0.25}",
        "{'x': 1}True",
    ]


def test_built_cell_notebook_runs(tmp_path):
    cells = [
        new_code_cell("n = 2", metadata={"tags": ["parameters"]}),
        new_code_cell("import math"),
        new_code_cell("raise RuntimeError('unrelated cell must not run')"),
        new_code_cell("def area(r):\n    return math.pi * r ** 2"),
        new_code_cell("%%flow areas --deploy\nprint(round(area(n), 2))"),
    ]
    nb = build_cell_notebook(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}), 4)
    result = execute_notebook(nb, tmp_path / "cell.ipynb", {"n": 3})
    assert texts(nbformat.read(result.output_path, as_version=4))[-1] == "stdout:28.27\n"
