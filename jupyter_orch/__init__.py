"""jupyter-orch: workflow orchestration that lives inside Jupyter.

`from jupyter_orch import flow, task` works like Prefect's. Importing the package is cheap: the
engine, the database layer and everything heavy load on first use of a name.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_orch import results as _results
from jupyter_orch.version import __version__

#: the checkout the package runs from (Prefect's name): its `tests/`, `notebooks/`, ...
__development_base_path__ = Path(__file__).resolve().parents[1]

# public name -> module that defines it
_EXPORTS = {
    "flow": "jupyter_orch.engine.flows",
    "Flow": "jupyter_orch.engine.flows",
    "task": "jupyter_orch.engine.tasks",
    "Task": "jupyter_orch.engine.tasks",
    "exponential_backoff": "jupyter_orch.engine.tasks",
    "TaskFuture": "jupyter_orch.engine.futures",
    "unmapped": "jupyter_orch.annotations",
    "allow_failure": "jupyter_orch.annotations",
    "ThreadPoolTaskRunner": "jupyter_orch.engine.task_runners",
    "DaskTaskRunner": "jupyter_orch.engine.task_runners",
    "ProcessPoolTaskRunner": "jupyter_orch.engine.process_runner",
    "get_run_logger": "jupyter_orch.engine.logging",
    "create_markdown_artifact": "jupyter_orch.engine.artifacts",
    "create_table_artifact": "jupyter_orch.engine.artifacts",
    "task_input_hash": "jupyter_orch.engine.caching",
    "ParameterValidationError": "jupyter_orch.engine.exceptions",
    "FlowRunAborted": "jupyter_orch.engine.exceptions",
    "get_client": "jupyter_orch.client",
    "State": "jupyter_orch.states",
    "serve": "jupyter_orch.runner",
    "deploy": "jupyter_orch.runner",
    "pause_flow_run": "jupyter_orch.flow_runs",
    "suspend_flow_run": "jupyter_orch.flow_runs",
    "resume_flow_run": "jupyter_orch.flow_runs",
    "apause_flow_run": "jupyter_orch.flow_runs",
    "asuspend_flow_run": "jupyter_orch.flow_runs",
    "aresume_flow_run": "jupyter_orch.flow_runs",
    "aserve": "jupyter_orch.runner",
    "run_deployment": "jupyter_orch.runner",
    "RunnerDeployment": "jupyter_orch.runner",
    "StateType": "jupyter_orch.states",
    "tags": "jupyter_orch.engine.context",
    "get_run_context": "jupyter_orch.engine.context",
    "deploy_notebook": "jupyter_orch.runner",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # names for type checkers and IDEs; at run time __getattr__ imports them
    from jupyter_orch.annotations import allow_failure, unmapped  # noqa: F401
    from jupyter_orch.client import get_client  # noqa: F401
    from jupyter_orch.engine.artifacts import create_markdown_artifact, create_table_artifact  # noqa: F401
    from jupyter_orch.engine.caching import task_input_hash  # noqa: F401
    from jupyter_orch.engine.context import get_run_context, tags  # noqa: F401
    from jupyter_orch.engine.exceptions import FlowRunAborted, ParameterValidationError  # noqa: F401
    from jupyter_orch.engine.flows import Flow, flow  # noqa: F401
    from jupyter_orch.engine.futures import TaskFuture  # noqa: F401
    from jupyter_orch.engine.logging import get_run_logger  # noqa: F401
    from jupyter_orch.engine.process_runner import ProcessPoolTaskRunner  # noqa: F401
    from jupyter_orch.engine.task_runners import DaskTaskRunner, ThreadPoolTaskRunner  # noqa: F401
    from jupyter_orch.engine.tasks import Task, exponential_backoff, task  # noqa: F401
    from jupyter_orch.flow_runs import (  # noqa: F401
        apause_flow_run,
        aresume_flow_run,
        asuspend_flow_run,
        pause_flow_run,
        resume_flow_run,
        suspend_flow_run,
    )
    from jupyter_orch.runner import (  # noqa: F401
        RunnerDeployment,
        aserve,
        deploy,
        deploy_notebook,
        run_deployment,
        serve,
    )
    from jupyter_orch.states import State, StateType  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_orch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _saved_storage(name: str) -> Any:
    """A saved storage configuration by name, read through this process's API client."""
    # the client loads when a result first names a saved storage, not with the package
    from jupyter_orch.storage import saved_or_none

    return saved_or_none(name)


def _background_parameters(task_run_id: str) -> dict[str, Any]:
    """What a background task run was scheduled with, read through this process's client."""
    from jupyter_orch.engine.background import read_parameters  # the engine loads when asked

    return read_parameters(task_run_id)


# the composition point: results below the states read saved storage through the API above them
_results.use_saved_storage(_saved_storage)
_results.use_parameter_reader(_background_parameters)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_orch`: the `%%flow` and `%orch` magics."""
    # lazy: `%load_ext` loads the magics (and IPython's machinery), not `import jupyter_orch`
    from jupyter_orch.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    # lazy: loaded by `%load_ext`, never by `import jupyter_orch`
    from jupyter_orch.magics import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The server extension (REST API, API docs, services), found by jupyter_server."""
    # heavy: the server extension (jupyter_server, the API, SQLAlchemy) only when Jupyter asks
    from jupyter_orch.server.app import OrchApp

    return [{"module": "jupyter_orch", "app": OrchApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension shipped inside the package."""
    return [{"src": "labextension", "dest": "jupyter-orch"}]
