"""A flow run inside a real ipykernel (whose event loop is already running) is recorded."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]

CELLS = [
    """
from jupyter_orch import flow, task, get_run_logger

@task
def inc(x: int) -> int:
    return x + 1

@task
async def adouble(x: int) -> int:
    return x * 2

@flow(log_prints=True)
def kernel_flow(n: int = 2) -> int:
    print("inside the kernel")
    futures = inc.map(range(n))
    return sum(f.result() for f in futures) + adouble(1)

result = kernel_flow(3)
result
""",
    """
@flow
async def kernel_async_flow() -> int:
    return await adouble(21)

answer = await kernel_async_flow()
answer
""",
]


def test_flow_in_ipykernel_is_recorded(records, monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the kernel inherits the test's environment
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(
        nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [cell.outputs for cell in nb.cells]
    assert outputs[0][-1]["data"]["text/plain"] == "8"  # (1 + 2 + 3) + 2
    assert outputs[1][-1]["data"]["text/plain"] == "42"
    run = records.only_flow_run("kernel-flow")
    assert run["state_type"] == "COMPLETED" and run["parameters"] == {"n": 3}
    trs = records.task_runs(run["id"])
    assert sorted(t["name"] for t in trs) == ["adouble-0", "inc-0", "inc-1", "inc-2"]
    assert all(t["state_type"] == "COMPLETED" for t in trs)
    assert any(log["message"] == "inside the kernel" for log in records.logs(flow_run_id=run["id"]))
    assert records.only_flow_run("kernel-async-flow")["state_type"] == "COMPLETED"
