"""Which cells a `%%flow` cell needs, and the notebook built from them."""

from __future__ import annotations

import nbformat
import pytest

from jupyter_orch.notebooks.dependencies import (
    analyze_cell,
    build_cell_notebook,
    cells_needed,
    notebook_cells_needed,
)

pytestmark = pytest.mark.timeout(30)

# A realistic notebook; comments name the cell index used by the assertions.
CELLS = [
    "%load_ext jupyter_orch\n%matplotlib inline",  # 0 magics only
    "import pandas as pd\nfrom math import sqrt as root\nimport os.path",  # 1 imports
    "source = 'data.csv'\nthreshold = 3",  # 2 parameters
    "!pip install nothing\nunused = 42",  # 3 shell line, unrelated name
    "def load(path):\n    return pd.read_csv(path)\n",  # 4 uses pd from 1
    "scale = 2",  # 5 first definition of scale
    "scale = scale * root(4)",  # 6 rebinding that reads the previous one (5) and root (1)
    "class Scorer:\n    def score(self, v):\n        return v * scale\n",  # 7 method reads global scale
    "%%time\nplot_data = [i for i in range(10)]",  # 8 cell magic body, unrelated
    "frame = load(source)\nframe['x'] = frame['y'] * 2",  # 9 reads load(4), source(2)
    "threshold = 99  # shadowed later",  # 10 overridden by 11 before the target
    "threshold = 5",  # 11 last definition of threshold
    "totals = {k: v for k, v in [(1, 2)]}\n",  # 12 unrelated comprehension
    # 13: the target
    "%%flow report --deploy\nresult = Scorer().score(len(frame)) > threshold\nprint(result, os.path.sep)",
]


def test_cells_needed_on_realistic_notebook():
    needed = cells_needed(CELLS, 13, parameters_index=2)
    # 1 imports (os, pd, root), 2 params, 4 load, 5+6 scale chain, 7 Scorer, 9 frame, 11 threshold.
    assert needed == [1, 2, 4, 5, 6, 7, 9, 11]


def test_parameters_cell_always_included():
    cells = ["a = 1", "b = 2", "print(b)"]
    assert cells_needed(cells, 2) == [1]
    assert cells_needed(cells, 2, parameters_index=0) == [0, 1]


def test_last_definition_wins_unless_it_reads_the_name():
    cells = ["x = 1", "x = 2", "y = x", "x = x + 1\nz = 0", "x += 1", "print(x)"]
    assert cells_needed(cells, 5) == [1, 3, 4]
    assert cells_needed(["x = 1", "x = 5", "print(x)"], 2) == [1]


def test_analysis_of_scopes_and_bindings():
    cell = analyze_cell(
        "import numpy as np\n"
        "from a.b import c as d\n"
        "with open(path) as fh:\n    text = fh.read()\n"
        "for row in rows:\n    acc = helper(row)\n"
        "if (m := pattern.match(text)):\n    pass\n"
        "def f(q, r=default):\n    local = q + glob\n    return [local * k for k in ks]\n"
        "g = lambda w: w + free\n"
        "x = 1\nprint(x)\n"
    )
    assert cell.defines >= {"np", "d", "fh", "text", "row", "acc", "m", "f", "g", "x"}
    assert cell.reads == {
        "open",
        "path",
        "rows",
        "helper",
        "pattern",
        "default",
        "glob",
        "ks",
        "free",
        "print",
    }


def test_unparsable_and_foreign_cells_define_nothing():
    assert analyze_cell("def broken(:\n").defines == set()
    assert analyze_cell("%%bash\nx=1\n").defines == set()
    assert cells_needed(["x = (", "%%html\n<b>x</b>", "print(x)"], 2) == []


def _notebook() -> nbformat.NotebookNode:
    cells = []
    for index, source in enumerate(CELLS):
        meta = {"tags": ["parameters"]} if index == 2 else {}
        cells.append(nbformat.v4.new_code_cell(source, metadata=meta))
        if index == 3:
            cells.append(nbformat.v4.new_markdown_cell("## Load"))  # shifts later indices by one
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernelspec, "other": 1})


def test_build_cell_notebook():
    nb = _notebook()
    target = len(nb.cells) - 1
    needed = notebook_cells_needed(nb, target)
    assert needed == [1, 2, 5, 6, 7, 8, 10, 12]
    out = build_cell_notebook(nb, target, needed)
    nbformat.validate(out)
    sources = [c.source for c in out.cells]
    assert sources[0] == CELLS[2] and out.cells[0].metadata["tags"] == ["parameters"]
    assert sources[1:-1] == [CELLS[i] for i in (1, 4, 5, 6, 7, 9, 11)]
    assert sources[-1] == "result = Scorer().score(len(frame)) > threshold\nprint(result, os.path.sep)"
    assert out.metadata["kernelspec"]["name"] == "python3" and "other" not in out.metadata
    assert out.metadata["jupyter_orch"] == {"source_cells": needed, "target_cell": target}


def test_build_cell_notebook_without_parameters_cell():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(s) for s in ("a = 1", "%%flow f\nprint(a)")]
    )
    out = build_cell_notebook(nb, 1)
    assert [c.source for c in out.cells] == ["", "a = 1", "print(a)"]
    assert out.cells[0].metadata["tags"] == ["parameters"]
