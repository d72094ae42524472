"""What a run's end is when its body returned states or futures (Prefect's `return_value_to_state`),
and the small predicates Prefect's `prefect.states` offers beside it."""

from __future__ import annotations

from collections import Counter
from types import GeneratorType
from typing import Any

from jupyter_orch.results import PersistedResult, ResultRecord
from jupyter_orch.states.core import (
    _UNSUCCESSFUL,
    State,
    StateType,
    _in_running_loop,
    get_state_exception,
    is_state_iterable,
)


def _raise_for(state: State) -> None:
    if state.type in _UNSUCCESSFUL:
        raise get_state_exception(state)


async def _araise_for(state: State) -> None:
    _raise_for(state)


def raise_state_exception(state: State) -> Any:
    """Raise the state's exception if it is failed, crashed or cancelled. Called from a coroutine
    (a running event loop) it returns an awaitable that does so, as Prefect's does."""
    if _in_running_loop():
        return _araise_for(state)
    _raise_for(state)
    return None


async def aget_state_exception(state: State) -> BaseException:
    """`get_state_exception` for async code (Prefect's name)."""
    return get_state_exception(state)


async def araise_state_exception(state: State) -> None:
    """`raise_state_exception` for async code (Prefect's name)."""
    _raise_for(state)


class StateGroup:
    """Counts over a collection of states (Prefect's `StateGroup`): how many failed, are final, ..."""

    def __init__(self, states: list[State]) -> None:
        self.states = states
        self.type_counts: Counter[StateType] = Counter(state.type for state in states)
        self.total_count = len(states)
        self.cancelled_count = self.type_counts[StateType.CANCELLED]
        self.final_count = sum(state.is_final() for state in states)
        self.not_final_count = self.total_count - self.final_count
        self.paused_count = self.type_counts[StateType.PAUSED]

    @property
    def fail_count(self) -> int:
        return self.type_counts[StateType.FAILED] + self.type_counts[StateType.CRASHED]

    def all_completed(self) -> bool:
        return self.type_counts[StateType.COMPLETED] == self.total_count

    def any_cancelled(self) -> bool:
        return self.cancelled_count > 0

    def any_failed(self) -> bool:
        return self.fail_count > 0

    def any_paused(self) -> bool:
        return self.paused_count > 0

    def all_final(self) -> bool:
        return self.final_count == self.total_count

    def counts_message(self) -> str:
        """`total=4, not_final=2, 'FAILED'=1, 'RUNNING'=2` (types in first-seen order)."""
        parts = [f"total={self.total_count}"]
        if self.not_final_count:
            parts.append(f"not_final={self.not_final_count}")
        parts += [f"{state_type.value!r}={count}" for state_type, count in self.type_counts.items() if count]
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"StateGroup<{self.counts_message()}>"


def is_state(obj: Any) -> bool:
    return isinstance(obj, State)


def final_state_of(value: Any) -> State:
    """The final state of a run whose body returned `value` (Prefect's rule): a state made by
    the user (not a run's) is used as given; a run's state, or a collection of states, gives
    COMPLETED if all completed, else CANCELLED / PAUSED if any is, else FAILED, holding them as
    its result; any other value is a COMPLETED result. The engine's form: no result records."""
    if isinstance(value, State) and value.flow_run_id is None and value.task_run_id is None:
        return value
    if isinstance(value, (ResultRecord, PersistedResult)):  # a result record returned: its result
        return State(StateType.COMPLETED, data=value)
    if not (isinstance(value, State) or is_state_iterable(value)):
        state = State(StateType.COMPLETED)
        state.set_result(list(value) if isinstance(value, GeneratorType) else value)
        return state
    states = [value] if isinstance(value, State) else list(value)
    if isinstance(value, list) and type(value) is not list:  # a future list, now of states
        value = states
    type_, message = _aggregate(states)
    state = State(type_, message=message)
    state.set_result(value)
    return state


def return_value_to_state_sync(
    retval: Any,
    result_store: Any = None,
    key: str | None = None,
    expiration: Any = None,
    write_result: bool = False,
) -> State:
    """The state `final_state_of` gives, with its value held in a result record of
    `result_store` (written there when `write_result`), unless the state already holds one."""
    state = final_state_of(retval)
    if result_store is not None and not isinstance(state._data, (dict, ResultRecord, PersistedResult)):
        value = state._result if state._has_result else None
        record = result_store.create_result_record(value, key=key, expiration=expiration)
        if write_result:
            result_store.persist_result_record(record)
        state.data = record
    return state


def return_value_to_state(
    retval: Any,
    result_store: Any = None,
    key: str | None = None,
    expiration: Any = None,
    write_result: bool = False,
) -> Any:
    """Prefect's `return_value_to_state` (`return_value_to_state_sync`): awaitable when called
    in a running event loop (Prefect's is a coroutine), the state itself otherwise."""
    state = return_value_to_state_sync(retval, result_store, key, expiration, write_result)
    return _ready(state) if _in_running_loop() else state


async def _ready(state: State) -> State:
    return state


def _aggregate(states: list[State]) -> tuple[StateType, str]:
    """The type and message of the state standing for `states` (Prefect's rule, see above)."""
    total = len(states)
    count = {t: sum(1 for st in states if st.type is t) for t in StateType}
    if count[StateType.COMPLETED] == total:
        return StateType.COMPLETED, "All states completed."
    if count[StateType.CANCELLED]:
        return StateType.CANCELLED, f"{count[StateType.CANCELLED]}/{total} states cancelled."
    if count[StateType.PAUSED]:
        return StateType.PAUSED, f"{count[StateType.PAUSED]}/{total} states paused."
    failed = count[StateType.FAILED] + count[StateType.CRASHED]
    if failed:
        return StateType.FAILED, f"{failed}/{total} states failed."
    return StateType.FAILED, f"{total - count[StateType.COMPLETED]}/{total} states are not final."
