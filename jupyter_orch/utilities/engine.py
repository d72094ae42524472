"""Prefect's `prefect.utilities.engine` helper `get_state_for_result`."""

from __future__ import annotations

from typing import Any

from jupyter_orch.engine.context import flow_run_ctx
from jupyter_orch.states import State


def get_state_for_result(obj: Any) -> State | None:
    """The (completed) state of the task run of the current flow run that returned `obj`, or None
    (values Python shares, such as None, True or small integers, are not tracked)."""
    ctx = flow_run_ctx.get()
    hit = ctx.results.get(id(obj)) if ctx is not None else None
    if hit is None or hit[0] is not obj:
        return None
    state = State("COMPLETED", flow_run_id=ctx.flow_run_id, task_run_id=hit[1])
    state.set_result(obj)
    return state


__all__ = ["get_state_for_result"]
