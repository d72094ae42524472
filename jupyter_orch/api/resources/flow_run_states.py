"""Flow-run state changes: proposals (one run, or many in one transaction), cancel, retry and
the state history. Every change goes through the store's `RunWriter` (rules, compare-and-set,
state hooks)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import ById, Id, StateIn, StateOut, StateRowOut, Strict
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.errors import Conflict
from jupyter_orch.orchestration.run_writer import RunWriter
from jupyter_orch.orchestration.serialize import row_to_dict, state_of
from jupyter_orch.orchestration.store import flow_runs
from jupyter_orch.states import TERMINAL_STATES, State, StateType, utcnow

# -- models ---------------------------------------------------------------------------------------


class SetStateIn(Strict):
    state: StateIn
    force: bool = False


class DecisionOut(BaseModel):
    status: Literal["ACCEPT", "REJECT", "WAIT", "ABORT"]
    state: StateOut | None
    reason: str
    delay_seconds: float | None = None


# bulk state proposals (a worker starting its due runs in one transaction)
class SetStatesItem(Strict):
    flow_run_id: Id
    state: StateIn


class SetStatesIn(Strict):
    items: list[SetStatesItem] = Field(max_length=5000)
    force: bool = False


class SetStatesItemOut(DecisionOut):
    flow_run_id: str


class SetStatesOut(BaseModel):
    items: list[SetStatesItemOut]


# -- operations -----------------------------------------------------------------------------------


def set_flow_run_state_plain(conn: Any, d: sqlwrite.Dialect, p: ById, body: SetStateIn) -> Any:
    """`set_flow_run_state` on a plain DB-API connection (`Route.plain`), through `RunWriter`."""
    return RunWriter(conn, d).set_flow_run_state(p.id, body.state.to_state(), force=body.force).to_dict()


def set_flow_run_state(session: Session, p: ById, body: SetStateIn) -> dict[str, Any]:
    proposed = body.state.to_state()
    return flow_runs.set_flow_run_state(session, p.id, proposed, force=body.force).to_dict()


def set_flow_run_states(session: Session, _: None, body: SetStatesIn) -> dict[str, Any]:
    proposals = [(item.flow_run_id, item.state.to_state()) for item in body.items]
    answers = flow_runs.set_flow_run_states(session, proposals, force=body.force)
    return {"items": [{"flow_run_id": run_id, **answers[run_id].to_dict()} for run_id, _ in proposals]}


def read_flow_run_states(session: Session, p: ById) -> list[dict[str, Any]]:
    return [row_to_dict(s) for s in flow_runs.flow_run_states(session, p.id)]


def cancel_flow_run(session: Session, p: ById) -> dict[str, Any]:
    """A run that has not started is cancelled at once; a live one is asked to stop (CANCELLING)."""
    run = flow_runs.read_flow_run(session, p.id)
    not_started = run.state_type in (StateType.SCHEDULED.value, StateType.PAUSED.value, None)
    proposed = State(
        StateType.CANCELLED if not_started else StateType.CANCELLING, message="cancelled by a user"
    )
    return flow_runs.set_flow_run_state(session, p.id, proposed).to_dict()


def retry_flow_run(session: Session, p: ById) -> dict[str, Any]:
    """A finished run is scheduled again now (forced: COMPLETED runs may be re-run too)."""
    run = flow_runs.read_flow_run(session, p.id)
    current = state_of(run)
    if current is None or current.type not in TERMINAL_STATES:
        raise Conflict(
            f"flow run {p.id} is {run.state_type}, not finished; only finished runs are retried", field="id"
        )
    proposed = State(
        StateType.SCHEDULED, name="AwaitingRetry", message="retried by a user", scheduled_time=utcnow()
    )
    return flow_runs.set_flow_run_state(session, p.id, proposed, force=True).to_dict()


TAG = "flow_runs"
ROUTES = [
    Route(
        "POST",
        "/flow_runs/{id}/set_state",
        set_flow_run_state,
        "Propose a state; the orchestration rules answer ACCEPT, REJECT, WAIT or ABORT",
        TAG,
        params=ById,
        body=SetStateIn,
        response=DecisionOut,
        plain=set_flow_run_state_plain,
    ),
    Route(
        "POST",
        "/flow_runs/set_states",
        set_flow_run_states,
        "Propose a state for each of many runs in one transaction; one answer per run, in order",
        TAG,
        body=SetStatesIn,
        response=SetStatesOut,
        batch=True,
    ),
    Route(
        "GET",
        "/flow_runs/{id}/states",
        read_flow_run_states,
        "State history, oldest first",
        TAG,
        params=ById,
        response=list[StateRowOut],
    ),
    Route(
        "POST",
        "/flow_runs/{id}/cancel",
        cancel_flow_run,
        "Cancel a flow run",
        TAG,
        params=ById,
        response=DecisionOut,
    ),
    Route(
        "POST",
        "/flow_runs/{id}/retry",
        retry_flow_run,
        "Schedule a finished flow run again now",
        TAG,
        params=ById,
        response=DecisionOut,
    ),
]
