"""The named-state constructors, by Prefect's names (`Completed(...)`, `Failed(...)`, ...): what a
flow may return to set its own end, and what the engine proposes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jupyter_orch.exceptions import TerminationSignal
from jupyter_orch.states.core import State, StateType, utcnow


# -- named-state constructors (Prefect's names) --------------------------------------------------
def _make(type_: StateType, name: str | None, kw: dict[str, Any]) -> State:
    """A state as Prefect's constructors make it: `data=` is the run's result (an exception for
    a failure) unless it is a dict, which is the state's own data as the engine keeps it (a
    storage reference, pause keys); `cls=` is accepted."""
    if not kw:  # the engine's Pending() / Running(): three of these per task run
        return State(type_, name)
    kw.pop("cls", None)
    if name is not None:
        kw.setdefault("name", name)
    details = kw.pop("state_details", None)
    if details is not None:  # Prefect's `state_details={...}`: the run the state belongs to
        _run_ids(details, kw)
    return State(type_, **kw)  # State tells the engine's data (a dict) from a result or record


def _run_ids(details: Any, kw: dict[str, Any]) -> None:
    """The run ids of Prefect's `state_details` (a dict or a StateDetails) as State takes them."""
    for name in ("flow_run_id", "task_run_id"):
        value = details.get(name) if isinstance(details, dict) else getattr(details, name, None)
        if value is not None:
            kw.setdefault(name, str(value))


def Scheduled(scheduled_time: datetime | None = None, name: str = "Scheduled", **kw: Any) -> State:
    kw["scheduled_time"] = scheduled_time or kw.get("scheduled_time") or utcnow()
    return _make(StateType.SCHEDULED, name, kw)


def Late(scheduled_time: datetime | None = None, **kw: Any) -> State:
    return Scheduled(scheduled_time, name="Late", **kw)


def AwaitingRetry(scheduled_time: datetime | None = None, **kw: Any) -> State:
    return Scheduled(scheduled_time, name="AwaitingRetry", **kw)


def _constructor(name: str, type_: StateType, doc: str = "") -> Callable[..., State]:
    """Prefect's constructor `name`: a state of `type_` named `name` (the type's own name, or a
    named state's: Retrying, Cached, ...)."""

    def make(**kw: Any) -> State:
        return _make(type_, name, kw)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = doc or f"A {type_.value} state named {name!r}."
    return make


Pending = _constructor("Pending", StateType.PENDING)
Running = _constructor("Running", StateType.RUNNING)
Retrying = _constructor("Retrying", StateType.RUNNING)
Completed = _constructor("Completed", StateType.COMPLETED)
Cached = _constructor("Cached", StateType.COMPLETED)
Failed = _constructor("Failed", StateType.FAILED)
TimedOut = _constructor("TimedOut", StateType.FAILED)
Crashed = _constructor("Crashed", StateType.CRASHED)
Cancelling = _constructor("Cancelling", StateType.CANCELLING)
Cancelled = _constructor("Cancelled", StateType.CANCELLED)
Paused = _constructor("Paused", StateType.PAUSED)
Suspended = _constructor(
    "Suspended",
    StateType.PAUSED,
    "A paused run whose process has ended; resuming schedules it again (Prefect's Suspended).",
)


def crash_message(exc: BaseException) -> str:
    """The message of the Crashed state a BaseException ends a run in (Prefect's wording: an
    interrupt, a termination signal or a system exit "aborted" the execution, anything else
    "interrupted" it)."""
    if isinstance(exc, KeyboardInterrupt):
        return "Execution was aborted by an interrupt signal."
    if isinstance(exc, TerminationSignal):
        return "Execution was aborted by a termination signal."
    if isinstance(exc, SystemExit):
        return "Execution was aborted by Python system exit call."
    return f"Execution was interrupted by an unexpected exception: {type(exc).__name__}: {exc}"
