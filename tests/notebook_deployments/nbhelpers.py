"""Helpers and fixtures shared by the notebook-deployment and magics tests: real databases, a real
worker thread, real ipykernels.

One warm `KernelPools` is shared by the whole session (each run still gets a fresh kernel that
is shut down afterwards): kernel start-up would otherwise dominate these tests' run time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from jupyter_orch.client import local_client
from jupyter_orch.db.session import session_scope
from jupyter_orch.orchestration.store import flow_runs, logs
from jupyter_orch.workers.notebook_runs import KernelPools
from jupyter_orch.workers.worker import Worker

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, params: str | None, *sources: str, markdown: str = "# test") -> Path:
    cells = [new_markdown_cell(markdown)]
    if params is not None:
        cells.append(new_code_cell(params, metadata={"tags": ["parameters"]}))
    cells += [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}), path)
    return path


def run_logs(url: str, run_id: str) -> str:
    with session_scope(url) as s:
        return "\n".join(r.message for r in logs.list_logs(s, flow_run_id=run_id))


def read_run(url: str, run_id: str) -> Any:
    with session_scope(url) as s:
        run = flow_runs.read_flow_run(s, run_id)
        s.expunge(run)
        return run


@pytest.fixture(scope="session")
def kernel_pools() -> Iterator[KernelPools]:
    pools = KernelPools(size=2)
    pools.prewarm("python3")
    yield pools
    pools.shutdown()


def start_worker(url: str, pools: KernelPools | None) -> tuple[Worker, threading.Event, threading.Thread]:
    # warm=False: no fork server. Notebook runs go to kernels and never use it; starting one (its
    # imports and schema check) per test only costs CPU, and closing it waited 5 s per test.
    worker = Worker(
        client=local_client(url), poll_interval=0.05, heartbeat_interval=0.5, shutdown_grace=2, warm=False
    )
    if pools is not None:
        worker.executor.by_kind["notebook"].pools = pools
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    return worker, stop, thread


@pytest.fixture
def nb_worker(orch_env: str, kernel_pools: KernelPools) -> Iterator[Worker]:
    """A worker on the test database whose notebook runs take kernels from the shared pool."""
    failures = _IterationFailures()
    logging.getLogger("jupyter_orch.worker").addHandler(failures)
    crashed: list[threading.ExceptHookArgs] = []
    previous_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        crashed.append(args)
        previous_hook(args)

    threading.excepthook = hook
    worker, stop, thread = start_worker(orch_env, kernel_pools)
    try:
        yield worker
    finally:
        worker.executor.by_kind["notebook"].pools = KernelPools(0)  # the shared pool outlives it
        stop.set()
        thread.join(30)
        threading.excepthook = previous_hook
        logging.getLogger("jupyter_orch.worker").removeHandler(failures)
    # an exception in the worker's loop is logged and the loop goes on, one in its shutdown ends
    # its thread: both are bugs
    assert not failures.records, failures.records[0].exc_text
    died = [args for args in crashed if args.thread is thread]
    assert not died, f"the worker's thread died: {died[0].exc_type.__name__}: {died[0].exc_value}"


class _IterationFailures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "worker iteration failed":
            self.format(record)  # fills exc_text
            self.records.append(record)


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
