"""Trigger-to-done for a trivial 2-cell notebook: papermill CLI vs our executor, cold and pooled.

Not a test: `python tests/notebooks/bench_pool.py [repeats]`. Prints the median of each.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_orch.notebooks.executor import execute_notebook
from jupyter_orch.notebooks.kernel_pool import KernelPool


def main(repeats: int = 5) -> None:
    tmp = Path(tempfile.mkdtemp())
    source = tmp / "in.ipynb"
    cells = [new_code_cell("n = 1", metadata={"tags": ["parameters"]}), new_code_cell("print(n * 2)")]
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": kernelspec}), source)
    timings: dict[str, list[float]] = {
        "papermill CLI": [],
        "executor, cold kernel": [],
        "executor, warm pool": [],
    }
    cli = [
        sys.executable,
        "-m",
        "papermill",
        str(source),
        str(tmp / "cli.ipynb"),
        "-p",
        "n",
        "2",
        "--no-progress-bar",
    ]
    with KernelPool("python3", size=1) as pool:
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(cli, check=True, capture_output=True)
            timings["papermill CLI"].append(time.perf_counter() - started)
            started = time.perf_counter()
            execute_notebook(source, tmp / "cold.ipynb", {"n": 2})
            timings["executor, cold kernel"].append(time.perf_counter() - started)
            pool.wait_ready(60)  # a scheduler triggers runs seconds apart; the pool refills meanwhile
            started = time.perf_counter()
            execute_notebook(source, tmp / "warm.ipynb", {"n": 2}, kernel_manager=pool.acquire())
            timings["executor, warm pool"].append(time.perf_counter() - started)
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:24s} median {median:.3f}s  min {min(values):.3f}s  max {max(values):.3f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
