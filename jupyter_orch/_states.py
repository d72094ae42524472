"""Prefect's `prefect._states`: the synchronous forms of the helpers that turn an exception or a
run's return value into its state, for code on a sync path (no event loop needed)."""

from __future__ import annotations

import sys
from typing import Any

from jupyter_orch.states import Crashed, Failed, State, crash_message
from jupyter_orch.states.aggregate import return_value_to_state_sync


def _record_of(state: State, exc: BaseException, result_store: Any, write_result: bool) -> State:
    """The state with its exception held in a record of `result_store` (written when asked)."""
    if result_store is not None:
        record = result_store.create_result_record(exc)
        if write_result:
            result_store.persist_result_record(record)
        state.data = record
    return state


def exception_to_crashed_state_sync(
    exc: BaseException, result_store: Any = None, write_result: bool = False
) -> State:
    """The Crashed state `exc` (an interrupt, a termination signal, a system exit, anything
    else) ends a run in, worded as Prefect's; the exception is its data."""
    return _record_of(Crashed(message=crash_message(exc), data=exc), exc, result_store, write_result)


def exception_to_failed_state_sync(
    exc: BaseException | None = None,
    result_store: Any = None,
    write_result: bool = False,
    message: str | None = None,
    **_kwargs: Any,
) -> State:
    """The Failed state of `exc` (default: the exception being handled), not retriable; its
    message is `"<Type>: <text>"`, after `message` when given."""
    if exc is None:
        exc = sys.exc_info()[1]
        if exc is None:
            raise ValueError("Exception was not passed and there is no active exception.")
    text = f"{type(exc).__name__}: {exc}"
    state = Failed(message=f"{message} {text}" if message else text, data=exc)
    state._retriable = False
    return _record_of(state, exc, result_store, write_result)


__all__ = ["exception_to_crashed_state_sync", "exception_to_failed_state_sync", "return_value_to_state_sync"]
