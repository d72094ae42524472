"""Run a notebook with papermill, with the guarantees a scheduler needs.

Papermill alone gives parameter injection and a saved output notebook; a scheduler also needs
a whole-run deadline (papermill's timeout is per cell), per-cell progress and log events, typed
errors that name the failing cell, a dead kernel reported in seconds, output written to any
fsspec URL after every cell, and the option to run on a pre-started kernel (`kernel_pool`).
We reuse papermill's injection, metadata and `NotebookExecutionManager`; this module prepares the
notebook (parameters checked, then injected) and `nbclient_engine` subclasses papermill's nbclient
engine and client for the rest; `execution_types` holds what callers catch and receive.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Mapping
from typing import Any

import fsspec
import nbformat
from jupyter_client import KernelManager
from nbformat import NotebookNode
from papermill import __version__ as pm_version
from papermill.execute import prepare_notebook_metadata, remove_error_markers
from papermill.parameterize import parameterize_notebook

from jupyter_orch.notebooks.execution_types import (
    CellExecutionError,
    CellTimeout,
    ExecutionCallbacks,
    ExecutionResult,
    KernelDied,
    KernelStartError,
    NotebookExecutionError,
)
from jupyter_orch.notebooks.nbclient_engine import OrchEngine, shutdown_quietly, write_notebook
from jupyter_orch.parameters import parameter_schema, validate_parameters

__all__ = [
    "CellExecutionError",
    "CellTimeout",
    "ExecutionCallbacks",
    "ExecutionResult",
    "KernelDied",
    "KernelStartError",
    "NotebookExecutionError",
    "execute_notebook",
    "write_notebook",
]


def execute_notebook(
    input_path: str | os.PathLike | NotebookNode,
    output_path: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str | None = None,
    execution_timeout: float | None = None,
    start_timeout: float = 60,
    cwd: str | os.PathLike | None = None,
    callbacks: ExecutionCallbacks | None = None,
    kernel_manager: KernelManager | None = None,
    *,
    validate: bool = True,
) -> ExecutionResult:
    """Execute `input_path` into `output_path` (local path or fsspec URL).

    Parameters are checked against the `parameters` cell's schema before any kernel starts
    (raising `ParameterError`) when that cell declares any, and injected by papermill.
    A given `kernel_manager` (e.g. from `KernelPool.acquire()`) must have a running kernel; it
    is consumed: shut down when the run ends, since a used kernel is never handed out again.
    Raises a `NotebookExecutionError` subclass on failure, after saving the partial notebook.
    """
    started = time.monotonic()
    output_path = os.fspath(output_path)
    try:
        nb = _prepare(input_path, output_path, parameters, kernel_name, validate, kernel_manager)
    except BaseException:
        if kernel_manager is not None:
            shutdown_quietly(kernel_manager)
        raise
    if kernel_manager is not None:
        kernel_name = kernel_manager.kernel_name
    else:
        kernel_name = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    OrchEngine.execute_notebook(
        nb,
        kernel_name,
        output_path=output_path,
        progress_bar=False,
        start_timeout=start_timeout,
        execution_timeout=execution_timeout,
        cwd=os.fspath(cwd) if cwd is not None else None,
        callbacks=callbacks or ExecutionCallbacks(),
        km=kernel_manager,
    )
    executed = sum(1 for c in nb.cells if c.metadata.get("papermill", {}).get("status") != "pending")
    return ExecutionResult(output_path, time.monotonic() - started, executed, len(nb.cells))


def _prepare(
    input_path: Any,
    output_path: str,
    parameters: Mapping[str, Any] | None,
    kernel_name: str | None,
    validate: bool,
    km: KernelManager | None,
) -> NotebookNode:
    if isinstance(input_path, NotebookNode):
        nb, input_name = copy.deepcopy(input_path), "<notebook>"
    else:
        input_name = os.fspath(input_path)
        with fsspec.open(input_name, "r", encoding="utf-8") as fh:
            nb = nbformat.read(fh, as_version=4)
    nb = nbformat.v4.upgrade(nb) or nb
    # The shape papermill's `load_notebook_node` gives, which its injection code relies on.
    nb.metadata.setdefault(
        "papermill",
        {"default_parameters": {}, "parameters": {}, "environment_variables": {}, "version": pm_version},
    )
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})
    if parameters:
        schema = parameter_schema(nb)
        if validate and schema["properties"]:
            parameters = validate_parameters(schema, parameters)
        kernel = km.kernel_name if km is not None else kernel_name
        nb = parameterize_notebook(nb, dict(parameters), kernel_name=kernel or _nb_kernel(nb))
    nb = prepare_notebook_metadata(nb, input_name, output_path)
    return remove_error_markers(nb)


def _nb_kernel(nb: NotebookNode) -> str:
    return nb.metadata.get("kernelspec", {}).get("name") or "python3"
