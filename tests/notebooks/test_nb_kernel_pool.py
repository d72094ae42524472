"""The warm kernel pool, and running notebooks on pooled kernels."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_orch.notebooks.executor import CellTimeout, execute_notebook
from jupyter_orch.notebooks.kernel_pool import KernelPool

pytestmark = pytest.mark.timeout(60)

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(*sources: str) -> nbformat.NotebookNode:
    cells = [new_code_cell("n = 1", metadata={"tags": ["parameters"]})] + [new_code_cell(s) for s in sources]
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})


def test_pool_hands_out_distinct_fresh_kernels_and_refills(tmp_path):
    with KernelPool("python3", size=2) as pool:
        assert pool.wait_ready(timeout=40) and pool.available == 2
        first, second = pool.acquire(), pool.acquire()
        assert first is not second and first.is_alive() and second.is_alive()
        assert first.connection_file != second.connection_file
        assert pool.wait_ready(timeout=40) and pool.available == 2  # refilled in the background
        # Each kernel runs exactly one notebook, sees the injected parameter and its own fresh
        # namespace (no leftovers from a previous run), and is shut down afterwards.
        marker = "print(n, 'leftover' in globals(), os.getpid())\nleftover = 1"
        pids = []
        for km, value in ((first, 5), (second, 6)):
            out = tmp_path / f"run{value}.ipynb"
            execute_notebook(
                notebook("import os", marker), out, {"n": value}, kernel_manager=km, cwd=tmp_path
            )
            text = nbformat.read(out, as_version=4).cells[-1].outputs[0].text.split()
            assert text[:2] == [str(value), "False"]
            pids.append(text[2])
            assert not km.is_alive()
        assert pids[0] != pids[1]
        third = pool.acquire()
        assert third not in (first, second) and third.is_alive()
        third.shutdown_kernel(now=True)
    assert pool.available == 0
    with pytest.raises(RuntimeError, match="shut down"):
        pool.acquire()


def test_pooled_kernel_cwd_and_timeout(tmp_path):
    with KernelPool("python3", size=1) as pool:
        out = tmp_path / "cwd.ipynb"
        execute_notebook(
            notebook("import os\nprint(os.getcwd())"), out, kernel_manager=pool.acquire(), cwd=tmp_path
        )
        assert nbformat.read(out, as_version=4).cells[-1].outputs[0].text.strip() == os.fspath(tmp_path)
        km = pool.acquire()
        with pytest.raises(CellTimeout):
            execute_notebook(
                notebook("import time\ntime.sleep(60)"),
                tmp_path / "t.ipynb",
                kernel_manager=km,
                execution_timeout=1,
            )
        assert not km.is_alive()


def test_size_zero_starts_nothing_ahead():
    with KernelPool("python3", size=0) as pool:
        assert pool.available == 0
        km = pool.acquire()  # started on demand
        try:
            assert km.is_alive() and pool.available == 0
        finally:
            km.shutdown_kernel(now=True)
