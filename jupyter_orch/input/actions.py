"""Prefect's `prefect.input.actions`: a flow run's keyed inputs (what a pause waits for, and
anything a program sends a run). `flow_run_id` defaults to the current flow run. In async code
(a running event loop) each returns an awaitable, as Prefect's do."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_orch.client import ApiError
from jupyter_orch.config_client import call
from jupyter_orch.engine.context import flow_run_ctx


def _run_id(flow_run_id: Any) -> str:
    if flow_run_id is not None:
        return str(flow_run_id)
    ctx = flow_run_ctx.get()
    if ctx is None:
        raise RuntimeError("No flow run ID provided and unable to infer it from the run context.")
    return str(ctx.flow_run_id)


def _awaitable_in_loop(fn: Any, *args: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args)
    return asyncio.to_thread(fn, *args)


def _create(key: str, value: Any, flow_run_id: Any, sender: str | None) -> None:
    call("POST", f"flow_runs/{_run_id(flow_run_id)}/input", {"key": key, "value": value, "sender": sender})


def _read(key: str, flow_run_id: Any) -> Any:
    try:
        found = call("GET", f"flow_runs/{_run_id(flow_run_id)}/input/{key}")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return found.get("value")


def _delete(key: str, flow_run_id: Any) -> None:
    call("DELETE", f"flow_runs/{_run_id(flow_run_id)}/input/{key}")


def create_flow_run_input(key: str, value: Any, flow_run_id: Any = None, sender: str | None = None) -> Any:
    """Store `value` (JSON-able) under `key` on the flow run."""
    return _awaitable_in_loop(_create, key, value, flow_run_id, sender)


def read_flow_run_input(key: str, flow_run_id: Any = None) -> Any:
    """The value stored under `key` on the flow run, or None."""
    return _awaitable_in_loop(_read, key, flow_run_id)


def delete_flow_run_input(key: str, flow_run_id: Any = None) -> Any:
    """Remove the input stored under `key`."""
    return _awaitable_in_loop(_delete, key, flow_run_id)


__all__ = ["create_flow_run_input", "delete_flow_run_input", "read_flow_run_input"]
