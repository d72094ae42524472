"""Prefect's `prefect.flow_engine`: run a flow from code that holds its parameters by name.

`run_flow_sync(flow, flow_run=None, parameters=None, wait_for=None, return_type="result")` and
`await run_flow_async(...)` (same arguments) run one flow run — a new one, or the record
`flow_run=` names, as a worker's process does — and answer its result, or its final state with
`return_type="state"`; `run_flow` picks one by the flow's kind. `FlowRunEngine` is the engine
that drives every flow run (`jupyter_orch.engine.flow_engine`). `load_flow_and_flow_run(id)` is
what a run's process starts with: the run record and the flow its entrypoint names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.engine import flow_drivers
from jupyter_orch.engine.flow_engine import FlowRunEngine
from jupyter_orch.engine.methods import NOT_BOUND
from jupyter_orch.flows import load_flow_from_entrypoint
from jupyter_orch.utilities.callables import parameters_to_args_kwargs


def _engine(
    flow: Any,
    flow_run: Any = None,
    parameters: dict[str, Any] | None = None,
    wait_for: Any = None,
    return_type: str = "result",
    **_options: Any,  # Prefect's `context`, `error_logger`: this engine needs neither
) -> tuple[FlowRunEngine, bool]:
    """The engine for the call, and whether it answers the final state."""
    run_id = None
    if flow_run is not None:
        run_id = str(flow_run["id"] if isinstance(flow_run, dict) else flow_run.id)
        if parameters is None:
            given = flow_run["parameters"] if isinstance(flow_run, dict) else flow_run.parameters
            parameters = dict(given or {})
    args, kwargs = parameters_to_args_kwargs(flow.fn, parameters or {})
    if flow._bound_to is not NOT_BOUND:
        args = (flow._bound_to, *args)
    return FlowRunEngine(flow, args, kwargs, adopt_id=run_id), return_type == "state"


def run_flow_sync(flow: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a synchronous flow in this thread; its result, or its final state."""
    return flow_drivers.run_flow_sync(*_engine(flow, *args, **kwargs))


async def run_flow_async(flow: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an async flow on this event loop; its result, or its final state."""
    return await flow_drivers.run_flow_async(*_engine(flow, *args, **kwargs))


def run_flow(flow: Any, *args: Any, **kwargs: Any) -> Any:
    """`run_flow_async` (an awaitable) for an async flow, else `run_flow_sync`."""
    return (run_flow_async if flow.is_async else run_flow_sync)(flow, *args, **kwargs)


#: the entrypoint (`path/to/file.py:flow_fn` or `module:flow_fn`) a run's process loads instead of
#: its deployment's; Prefect's variable is honoured too
ENTRYPOINT_ENVS = ("JUPYTER_ORCH__FLOW_ENTRYPOINT", "PREFECT__FLOW_ENTRYPOINT")


def load_flow_and_flow_run(flow_run_id: Any) -> tuple[Any, Any]:
    """The flow run record (Prefect's `FlowRun`) and its flow, loaded from the entrypoint the
    environment names, else from its deployment's (its `path` joined to a file entrypoint)."""
    flow_run = SyncPrefectClient().read_flow_run(flow_run_id)
    entrypoint = next((os.environ[name] for name in ENTRYPOINT_ENVS if os.environ.get(name)), None)
    if entrypoint is None:
        if not flow_run.deployment_id:
            raise ValueError("Flow run does not have an associated deployment")
        deployment = SyncPrefectClient().orch.read_deployment(str(flow_run.deployment_id))
        entrypoint = deployment.get("entrypoint") or ""
        path, file = deployment.get("path"), entrypoint.split(":", 1)[0]
        if path and file.endswith(".py") and not Path(file).is_absolute():
            entrypoint = str(Path(path) / entrypoint)
    return flow_run, load_flow_from_entrypoint(entrypoint)


__all__ = ["FlowRunEngine", "load_flow_and_flow_run", "run_flow", "run_flow_async", "run_flow_sync"]
