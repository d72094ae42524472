"""Pausing, suspending and resuming flow runs (Prefect's `prefect.flow_runs`).

- `pause_flow_run(...)` inside a flow: the run shows Paused; the flow's process waits (polling)
  until `resume_flow_run` moves it back to RUNNING, then goes on with the input it was sent.
- `suspend_flow_run(...)` inside a deployment's run: the run shows Suspended and its process ends,
  freeing the worker; `resume_flow_run` schedules it again and a worker re-runs it from the top,
  where the same `suspend_flow_run` call returns the input instead of suspending again.

In an async flow each is awaitable, as Prefect's are.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, create_model

from jupyter_orch.client import ApiError
from jupyter_orch.config_client import call
from jupyter_orch.engine.context import FlowRunContext, flow_run_ctx, task_run_ctx
from jupyter_orch.engine.exceptions import FlowPauseTimeout, Pause
from jupyter_orch.states import Paused, Suspended

__all__ = [
    "apause_flow_run",
    "aresume_flow_run",
    "asuspend_flow_run",
    "pause_flow_run",
    "resume_flow_run",
    "suspend_flow_run",
]


def _awaitable_in_async(fn: Any, *args: Any) -> Any:
    """Run `fn(*args)`; in an async flow (or, outside flows, a running event loop) return an
    awaitable instead. A sync flow waits as usual even where a loop runs: a notebook cell runs
    in ipykernel's event loop, and an un-awaited coroutine there would never pause."""
    ctx = flow_run_ctx.get()
    if ctx is not None:
        in_async = ctx.is_async
    else:
        try:
            asyncio.get_running_loop()
            in_async = True
        except RuntimeError:
            in_async = False
    return asyncio.to_thread(fn, *args) if in_async else fn(*args)


def _input_model(wait_for_input: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the model the input is validated with, whether it wraps a plain type in `value`)."""
    if wait_for_input is None:
        return None, False
    if isinstance(wait_for_input, type) and issubclass(wait_for_input, BaseModel):
        return wait_for_input, False
    return create_model("AutomaticRunInput", value=(wait_for_input, ...)), True


def _context(action: str) -> FlowRunContext:
    ctx = flow_run_ctx.get()
    if ctx is None:
        raise RuntimeError(f"Flow runs can only be {action} from within a flow run.")
    if task_run_ctx.get() is not None:
        raise RuntimeError(f"Cannot {action[:-1]} task runs.")
    return ctx


def _next_key(ctx: FlowRunContext, key: str | None) -> str:
    return key or f"paused-{ctx.next_dynamic_key('__pause__') + 1}"


def _send(run_id: str, key: str, value: Any) -> None:
    """Store an input once (a re-run after a resume finds it there already)."""
    try:
        call("POST", f"flow_runs/{run_id}/input", {"key": key, "value": value})
    except ApiError as exc:
        if exc.status != 409:
            raise


def _received(run_id: str, key: str) -> dict[str, Any] | None:
    try:
        return call("GET", f"flow_runs/{run_id}/input/{key}")
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def _answer(model: type[BaseModel] | None, wrapped: bool, run_id: str, key: str) -> Any:
    if model is None:
        return None
    found = _received(run_id, f"{key}-response")
    value = model.model_validate(found["value"] if found else {})
    return value.value if wrapped else value  # type: ignore[attr-defined]


def _propose(ctx: FlowRunContext, state: Any) -> None:
    ctx.client.flush()  # the task runs recorded so far land before the run shows paused
    answer = ctx.client.set_flow_run_state(ctx.flow_run_id, state)
    if answer["status"] != "ACCEPT":
        raise RuntimeError(f"flow run could not be paused: {answer.get('reason')}")


def _pause(wait_for_input: Any, timeout: int, poll_interval: float, key: str | None) -> Any:
    ctx = _context("paused")
    model, wrapped = _input_model(wait_for_input)
    key = _next_key(ctx, key)
    if _received(ctx.flow_run_id, f"{key}-paused") is not None:  # a key pauses once (Prefect's)
        return _answer(model, wrapped, ctx.flow_run_id, key)
    _send(ctx.flow_run_id, f"{key}-paused", True)
    if model is not None:
        _send(ctx.flow_run_id, f"{key}-schema", model.model_json_schema())
    expires = datetime.now(timezone.utc) + timedelta(seconds=timeout)
    _propose(ctx, Paused(data={"pause_key": key, "pause_reschedule": False}, scheduled_time=expires))
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(max(0.05, min(poll_interval, deadline - time.monotonic())))
        state = ctx.client.read_flow_run(ctx.flow_run_id)["state_type"]
        if state == "RUNNING":
            return _answer(model, wrapped, ctx.flow_run_id, key)
        if state != "PAUSED":
            raise RuntimeError(f"flow run left its pause as {state}, not by resuming")
        if time.monotonic() >= deadline:
            raise FlowPauseTimeout("Flow run was paused and never resumed.")


def pause_flow_run(
    wait_for_input: Any = None, timeout: int = 3600, poll_interval: float = 10, key: str | None = None
) -> Any:
    """Pause the current flow run until it is resumed (or `timeout` seconds pass: the flow then
    fails with FlowPauseTimeout). With `wait_for_input` (a RunInput/pydantic model, or a type such
    as `int`), returns the input sent with the resume, validated."""
    return _awaitable_in_async(_pause, wait_for_input, timeout, poll_interval, key)


def _suspend(wait_for_input: Any, flow_run_id: str | None, timeout: int, key: str | None) -> Any:
    ctx = _context("suspended")
    if flow_run_id is not None and flow_run_id != ctx.flow_run_id:
        raise ValueError("suspend_flow_run suspends the current flow run; pass no flow_run_id")
    run_id = ctx.flow_run_id
    if ctx.engine is not None and ctx.engine.parent is not None:
        raise RuntimeError("Cannot suspend subflows.")
    if not ctx.client.read_flow_run(run_id).get("deployment_id"):
        raise RuntimeError("Cannot suspend flows without a deployment.")
    model, wrapped = _input_model(wait_for_input)
    key = _next_key(ctx, key)
    if _received(run_id, f"{key}-suspended") is not None:  # re-run after its resume: go on
        return _answer(model, wrapped, run_id, key)
    if model is not None:
        _send(run_id, f"{key}-schema", model.model_json_schema())
    _send(run_id, f"{key}-suspended", True)
    expires = datetime.now(timezone.utc) + timedelta(seconds=timeout)
    _propose(ctx, Suspended(data={"pause_key": key, "pause_reschedule": True}, scheduled_time=expires))
    raise Pause(f"flow run {ctx.flow_run_name!r} suspended; it runs again from the top when resumed")


def suspend_flow_run(
    wait_for_input: Any = None, flow_run_id: str | None = None, timeout: int = 3600, key: str | None = None
) -> Any:
    """Suspend the current deployment run: it shows Suspended, its process ends, and on resume a
    worker runs it again from the top, where this call returns the input instead."""
    return _awaitable_in_async(_suspend, wait_for_input, flow_run_id, timeout, key)


def _resume(flow_run_id: str, run_input: dict[str, Any] | None) -> None:
    answer = call("POST", f"flow_runs/{flow_run_id}/resume", {"run_input": run_input})
    if answer["status"] != "ACCEPT":
        raise RuntimeError(f"flow run {flow_run_id} was not resumed: {answer.get('reason')}")


def resume_flow_run(flow_run_id: Any, run_input: dict[str, Any] | None = None) -> Any:
    """Resume a paused or suspended flow run, sending it `run_input` (validated against what it
    waits for: a ValueError-like ApiError 422 names the field)."""
    return _awaitable_in_async(_resume, str(flow_run_id), run_input)


# -- the explicitly async forms (Prefect's `apause_flow_run`, ...): awaitable from any coroutine,
# the waiting done in a thread that keeps the caller's run context
async def apause_flow_run(
    wait_for_input: Any = None, timeout: int = 3600, poll_interval: float = 10, key: str | None = None
) -> Any:
    """`await apause_flow_run(...)`: `pause_flow_run` from async code."""
    return await asyncio.to_thread(_pause, wait_for_input, timeout, poll_interval, key)


async def asuspend_flow_run(
    wait_for_input: Any = None, flow_run_id: str | None = None, timeout: int = 3600, key: str | None = None
) -> Any:
    """`await asuspend_flow_run(...)`: `suspend_flow_run` from async code."""
    return await asyncio.to_thread(_suspend, wait_for_input, flow_run_id, timeout, key)


async def aresume_flow_run(flow_run_id: Any, run_input: dict[str, Any] | None = None) -> None:
    """`await aresume_flow_run(id, run_input=...)`: `resume_flow_run` from async code."""
    await asyncio.to_thread(_resume, str(flow_run_id), run_input)
