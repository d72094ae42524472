"""Run states, as Prefect's `prefect.states`: the `State` object and `StateType`, the named-state
constructors (`Completed(...)`, `Failed(...)`, ...), and the helpers that read a state's exception
or turn a run's return value into its final state.

Core layer: imported by everything above, it imports only `jupyter_orch.exceptions`.
"""

from jupyter_orch.exceptions import PausedRun
from jupyter_orch.states.aggregate import (
    StateGroup,
    final_state_of,
    is_state,
    raise_state_exception,
    return_value_to_state,
)
from jupyter_orch.states.constructors import (
    AwaitingRetry,
    Cached,
    Cancelled,
    Cancelling,
    Completed,
    Crashed,
    Failed,
    Late,
    Paused,
    Pending,
    Retrying,
    Running,
    Scheduled,
    Suspended,
    TimedOut,
    crash_message,
)
from jupyter_orch.states.core import (
    DEFAULT_NAMES,
    NAMED_STATES,
    TERMINAL_STATES,
    RunFailed,
    State,
    StateType,
    _parse_dt,
    get_state_exception,
    is_state_iterable,
    new_uuid,
    utcnow,
)

__all__ = [
    "DEFAULT_NAMES",
    "NAMED_STATES",
    "TERMINAL_STATES",
    "AwaitingRetry",
    "Cached",
    "Cancelled",
    "Cancelling",
    "Completed",
    "Crashed",
    "Failed",
    "Late",
    "Paused",
    "PausedRun",
    "Pending",
    "Retrying",
    "RunFailed",
    "Running",
    "Scheduled",
    "State",
    "StateGroup",
    "StateType",
    "Suspended",
    "TimedOut",
    "_parse_dt",
    "crash_message",
    "final_state_of",
    "get_state_exception",
    "is_state",
    "is_state_iterable",
    "new_uuid",
    "raise_state_exception",
    "return_value_to_state",
    "utcnow",
]
