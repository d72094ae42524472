"""A flow run's state-change hooks: which kind a state calls, and calling them inside the run's
context, as Prefect's engine does (`get_run_context()` in a hook is the flow run's).

Prefect calls the cancellation hooks when the run enters CANCELLING (or CANCELLED, here), and
skips the cancellation and crashed hooks when PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS is
"false"."""

from __future__ import annotations

import os
from typing import Any

from jupyter_orch.engine.context import flow_run_ctx
from jupyter_orch.engine.hooks import flow_run_view, run_hooks
from jupyter_orch.states import StateType

#: the hooks a state at the end of a run calls
FINAL_HOOKS = {
    StateType.COMPLETED: "on_completion",
    StateType.FAILED: "on_failure",
    StateType.CRASHED: "on_crashed",
    StateType.CANCELLED: "on_cancellation",
    StateType.CANCELLING: "on_cancellation",
}
HOOKS_SWITCH_ENV = "PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS"


def run_final_hooks(engine: Any) -> None:
    """The hooks for the state the run ended in (none for a state without hooks). `engine`: a
    `FlowRunEngine` (that module stands above this one)."""
    state = engine.state
    kind = FINAL_HOOKS.get(state.type) if state is not None else None
    if kind in ("on_cancellation", "on_crashed") and os.environ.get(HOOKS_SWITCH_ENV, "").lower() == "false":
        return
    if kind and engine.flow.hooks[kind]:
        run_flow_hooks(engine, kind)


def run_flow_hooks(engine: Any, kind: str) -> None:
    """Call the flow's hooks of `kind` inside its run context, then record what they logged."""
    token = flow_run_ctx.set(engine.ctx or engine._context())
    try:
        run_hooks(engine.flow.hooks[kind], engine.flow, flow_run_view(engine), engine.state, engine.logger)
    finally:
        flow_run_ctx.reset(token)
    engine.orch.flush()  # what the hooks logged is recorded before the call returns


__all__ = ["FINAL_HOOKS", "run_final_hooks", "run_flow_hooks"]
