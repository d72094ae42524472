"""Run states: the nine state types and the named states that map onto them.

`State` is a small slotted object rather than a pydantic model because the engine creates three of
them per task run on its hot path.
"""

from __future__ import annotations

import enum
import os
import random
from datetime import datetime, timezone
from typing import Any


class StateType(str, enum.Enum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"

    def __str__(self) -> str:
        return self.value


TERMINAL_STATES = frozenset({StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED})

#: The default name of each type; named states (Late, Cached, ...) override it.
DEFAULT_NAMES = {t: t.value.title() for t in StateType}

#: Named states and the type each maps onto.
NAMED_STATES = {
    "Late": StateType.SCHEDULED,
    "AwaitingRetry": StateType.SCHEDULED,
    "Retrying": StateType.RUNNING,
    "Cached": StateType.COMPLETED,
    "TimedOut": StateType.FAILED,
}


# State and run ids: random version-4 UUIDs from a generator seeded once from os.urandom (which
# can cost tens of microseconds per call in sandboxed kernels, three times per task run).
_id_random = random.Random(os.urandom(32))
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _id_random.seed(os.urandom(32)))


_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)  # variant and version bits
_UUID_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


def new_uuid() -> str:
    """A random UUID (version 4) as a string, like `str(uuid.uuid4())` but without a syscall."""
    h = "%032x" % (_id_random.getrandbits(128) & _UUID_CLEAR | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class State:
    """A run's state: its type, a name, a message, when it was entered and (maybe) its result."""

    __slots__ = (
        "id",
        "type",
        "name",
        "message",
        "timestamp",
        "data",
        "scheduled_time",
        "flow_run_id",
        "task_run_id",
        "_result",
        "_has_result",
    )

    def __init__(
        self,
        type: StateType | str,
        name: str | None = None,
        message: str | None = None,
        timestamp: datetime | None = None,
        data: dict[str, Any] | None = None,
        scheduled_time: datetime | None = None,
        id: str | None = None,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
    ) -> None:
        self.type = type if isinstance(type, StateType) else StateType(str(type).upper())
        self.name = name or DEFAULT_NAMES[self.type]
        self.message = message
        self.timestamp = timestamp or utcnow()
        self.data = data
        self.scheduled_time = scheduled_time
        self.id = id or new_uuid()
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self._result: Any = None
        self._has_result = False

    # -- predicates -----------------------------------------------------------------------------
    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        return self.type in TERMINAL_STATES

    # -- results --------------------------------------------------------------------------------
    def set_result(self, value: Any) -> None:
        self._result = value
        self._has_result = True

    def result(self, raise_on_failure: bool = True) -> Any:
        """The run's return value; for a failed state, raise its exception (or return it)."""
        if not self._has_result and self.data and "storage_key" in self.data:
            from jupyter_orch.engine.results import load_result

            self.set_result(load_result(self.data))
        value = self._result
        if self.type in (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED):
            exc = value if isinstance(value, BaseException) else _state_error(self)
            if raise_on_failure:
                raise exc
            return exc
        if not self._has_result and self.type is not StateType.COMPLETED:
            raise RuntimeError(f"State {self.name!r} has no result yet")
        return value

    # -- serialization --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "name": self.name,
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
            "data": self.data,
            "scheduled_time": self.scheduled_time.isoformat() if self.scheduled_time else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> State:
        return cls(
            type=d["type"],
            name=d.get("name"),
            message=d.get("message"),
            timestamp=_parse_dt(d.get("timestamp")),
            data=d.get("data"),
            scheduled_time=_parse_dt(d.get("scheduled_time")),
            id=d.get("id"),
            flow_run_id=d.get("flow_run_id"),
            task_run_id=d.get("task_run_id"),
        )

    def copy(self, **changes: Any) -> State:
        fields = {
            "type": self.type,
            "name": self.name,
            "message": self.message,
            "timestamp": self.timestamp,
            "data": self.data,
            "scheduled_time": self.scheduled_time,
            "flow_run_id": self.flow_run_id,
            "task_run_id": self.task_run_id,
        }
        fields.update(changes)
        return State(**fields)

    def __repr__(self) -> str:
        msg = f", message={self.message!r}" if self.message else ""
        return f"{self.name}(type={self.type.value}{msg})"


class RunFailed(Exception):
    """Raised by `State.result()` for a failed run whose exception is not available in-process."""


def _state_error(state: State) -> Exception:
    return RunFailed(state.message or f"Run ended in state {state.name}")


def _parse_dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# -- named-state constructors (Prefect's names) --------------------------------------------------
def Scheduled(scheduled_time: datetime | None = None, name: str = "Scheduled", **kw: Any) -> State:
    return State(StateType.SCHEDULED, name=name, scheduled_time=scheduled_time or utcnow(), **kw)


def Late(scheduled_time: datetime | None = None, **kw: Any) -> State:
    return Scheduled(scheduled_time, name="Late", **kw)


def AwaitingRetry(scheduled_time: datetime | None = None, **kw: Any) -> State:
    return Scheduled(scheduled_time, name="AwaitingRetry", **kw)


def Pending(**kw: Any) -> State:
    return State(StateType.PENDING, **kw)


def Running(**kw: Any) -> State:
    return State(StateType.RUNNING, **kw)


def Retrying(**kw: Any) -> State:
    return State(StateType.RUNNING, name="Retrying", **kw)


def Completed(**kw: Any) -> State:
    return State(StateType.COMPLETED, **kw)


def Cached(**kw: Any) -> State:
    return State(StateType.COMPLETED, name="Cached", **kw)


def Failed(**kw: Any) -> State:
    return State(StateType.FAILED, **kw)


def TimedOut(**kw: Any) -> State:
    return State(StateType.FAILED, name="TimedOut", **kw)


def Crashed(**kw: Any) -> State:
    return State(StateType.CRASHED, **kw)


def Cancelling(**kw: Any) -> State:
    return State(StateType.CANCELLING, **kw)


def Cancelled(**kw: Any) -> State:
    return State(StateType.CANCELLED, **kw)


def Paused(**kw: Any) -> State:
    return State(StateType.PAUSED, **kw)


def Suspended(**kw: Any) -> State:
    """A paused run whose process has ended; resuming schedules it again (Prefect's Suspended)."""
    return State(StateType.PAUSED, name="Suspended", **kw)
