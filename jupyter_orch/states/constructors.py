"""The named-state constructors, by Prefect's names (`Completed(...)`, `Failed(...)`, ...): what a
flow may return to set its own end, and what the engine proposes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    data = kw.get("data")
    if data is None or isinstance(data, dict):  # the engine's own state data (a storage reference,
        return State(type_, **kw)  # pause keys, a background run's parameters)
    del kw["data"]
    state = State(type_, **kw)
    state.set_result(data)
    return state


def Scheduled(scheduled_time: datetime | None = None, name: str = "Scheduled", **kw: Any) -> State:
    kw["scheduled_time"] = scheduled_time or kw.get("scheduled_time") or utcnow()
    return _make(StateType.SCHEDULED, name, kw)


def Late(scheduled_time: datetime | None = None, **kw: Any) -> State:
    return Scheduled(scheduled_time, name="Late", **kw)


def AwaitingRetry(scheduled_time: datetime | None = None, **kw: Any) -> State:
    return Scheduled(scheduled_time, name="AwaitingRetry", **kw)


def Pending(**kw: Any) -> State:
    return _make(StateType.PENDING, None, kw)


def Running(**kw: Any) -> State:
    return _make(StateType.RUNNING, None, kw)


def Retrying(**kw: Any) -> State:
    return _make(StateType.RUNNING, "Retrying", kw)


def Completed(**kw: Any) -> State:
    return _make(StateType.COMPLETED, None, kw)


def Cached(**kw: Any) -> State:
    return _make(StateType.COMPLETED, "Cached", kw)


def Failed(**kw: Any) -> State:
    return _make(StateType.FAILED, None, kw)


def TimedOut(**kw: Any) -> State:
    return _make(StateType.FAILED, "TimedOut", kw)


def Crashed(**kw: Any) -> State:
    return _make(StateType.CRASHED, None, kw)


def Cancelling(**kw: Any) -> State:
    return _make(StateType.CANCELLING, None, kw)


def Cancelled(**kw: Any) -> State:
    return _make(StateType.CANCELLED, None, kw)


def Paused(**kw: Any) -> State:
    return _make(StateType.PAUSED, None, kw)


def Suspended(**kw: Any) -> State:
    """A paused run whose process has ended; resuming schedules it again (Prefect's Suspended)."""
    return _make(StateType.PAUSED, "Suspended", kw)
