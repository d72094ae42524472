"""Prefect's `prefect.utilities.engine` helpers: `get_state_for_result`, and `propose_state` /
`propose_state_sync` (ask the orchestrator to move a flow run to a state)."""

from __future__ import annotations

from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import flow_run_ctx
from jupyter_orch.exceptions import Abort
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


def propose_state_sync(
    client: Any, state: State, force: bool = False, task_run_id: Any = None, flow_run_id: Any = None
) -> State:
    """Propose `state` for the flow run; the state it is in afterwards (the orchestrator may
    answer another, e.g. AwaitingRetry). Abort if the orchestrator refuses it outright. `client`
    is accepted for Prefect's signature: the proposal goes where this process's runs go."""
    if flow_run_id is None:
        raise ValueError("You must provide a `flow_run_id`: task run states are the engine's own")
    answer = get_client().set_flow_run_state(str(flow_run_id), state, force=force)
    if answer["status"] == "ABORT":
        raise Abort(answer.get("reason") or "the orchestrator aborted the transition")
    new = State.from_dict({**answer["state"], "flow_run_id": str(flow_run_id)})
    if new.id == state.id and state._has_result:
        new.set_result(state._result)
    return new


async def propose_state(
    client: Any, state: State, force: bool = False, task_run_id: Any = None, flow_run_id: Any = None
) -> State:
    """`propose_state_sync` for async code (Prefect's)."""
    return propose_state_sync(client, state, force, task_run_id, flow_run_id)


__all__ = ["get_state_for_result", "propose_state", "propose_state_sync"]
