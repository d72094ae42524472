"""What a run's end is when its body returned states or futures (Prefect's `return_value_to_state`),
and the small predicates Prefect's `prefect.states` offers beside it."""

from __future__ import annotations

from typing import Any

from jupyter_orch.states.core import _UNSUCCESSFUL, State, StateType, get_state_exception, is_state_iterable


def raise_state_exception(state: State) -> None:
    """Raise the state's exception if it is failed, crashed or cancelled."""
    if state.type in _UNSUCCESSFUL:
        raise get_state_exception(state)


def is_state(obj: Any) -> bool:
    return isinstance(obj, State)


def return_value_to_state(value: Any) -> State:
    """The final state of a run whose body returned `value` (Prefect's rule): a state made by
    the user (not a run's) is used as given; a run's state, or a collection of states, gives
    COMPLETED if all completed, else CANCELLED / PAUSED if any is, else FAILED, holding them as
    its result; any other value is a COMPLETED result."""
    if isinstance(value, State) and value.flow_run_id is None and value.task_run_id is None:
        return value
    if not (isinstance(value, State) or is_state_iterable(value)):
        state = State(StateType.COMPLETED)
        state.set_result(value)
        return state
    states = [value] if isinstance(value, State) else list(value)
    if isinstance(value, list) and type(value) is not list:  # a future list, now of states
        value = states
    total = len(states)
    count = {t: sum(1 for st in states if st.type is t) for t in StateType}
    if count[StateType.COMPLETED] == total:
        type_, message = StateType.COMPLETED, "All states completed."
    elif count[StateType.CANCELLED]:
        type_, message = StateType.CANCELLED, f"{count[StateType.CANCELLED]}/{total} states cancelled."
    elif count[StateType.PAUSED]:
        type_, message = StateType.PAUSED, f"{count[StateType.PAUSED]}/{total} states paused."
    else:
        failed = count[StateType.FAILED] + count[StateType.CRASHED]
        type_ = StateType.FAILED
        message = (
            f"{failed}/{total} states failed."
            if failed
            else f"{total - count[StateType.COMPLETED]}/{total} states are not final."
        )
    state = State(type_, message=message)
    state.set_result(value)
    return state
