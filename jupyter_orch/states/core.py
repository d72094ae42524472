"""Run states: the nine state types, the `State` object, and the exception a failed one raises.

`State` is a small slotted object rather than a pydantic model because the engine creates three of
them per task run on its hot path.
"""

from __future__ import annotations

import enum
import os
import random
import sys
from datetime import datetime, timezone
from time import time_ns
from typing import TYPE_CHECKING, Any

from jupyter_orch.coroutines import ASYNC_BODY
from jupyter_orch.coroutines import in_running_loop as _in_running_loop
from jupyter_orch.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    MissingResult,
    PausedRun,
    UnfinishedRun,
)
from jupyter_orch.results import RESULT_HOLDERS, load_result, record_of, stored_data

if TYPE_CHECKING:  # annotations only: uuid (and `platform`) load when an id is made a UUID
    import uuid


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


# Ids from a generator seeded once from os.urandom (tens of µs a call in sandboxed kernels).
_id_random = random.Random(os.urandom(32))
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _id_random.seed(os.urandom(32)))
_UUID_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)  # variant and version bits
_UUID_SET = (0x8000 << 48) | (4 << 76)  # RFC 4122 variant, version 4


def new_uuid() -> str:
    """A random UUID (version 4) as a string, like `str(uuid.uuid4())` but without a syscall (ids
    whose first characters are shown or make names: flow runs, background task runs)."""
    h = "%032x" % (_id_random.getrandbits(128) & _UUID_CLEAR | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_time_uuid() -> str:
    """A time-ordered UUID (version 7, RFC 9562: Unix ms, 12 bits of its fraction, 62 random bits),
    as Prefect gives runs and states. New ids go to the right edge of the primary-key indexes:
    random ones dirtied most leaf pages in every batch of a 100,000-task map (each rewritten to
    the WAL at each commit: 40% of its CPU time)."""
    ms, ns = divmod(time_ns(), 1_000_000)
    r = _id_random.getrandbits(62)
    parts = (ms >> 16, ms & 0xFFFF, 0x7000 | (ns << 12) // 1_000_000, 0x8000 | r >> 48, r & (1 << 48) - 1)
    return "%08x-%04x-%04x-%04x-%012x" % parts  # noqa: UP031 - one % format: cheaper than slices


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _is_type(type_: StateType) -> Any:
    """`State.is_<type>()`: whether the state is of `type_`."""

    def predicate(self: State) -> bool:
        return self.type is type_

    predicate.__name__ = f"is_{type_.value.lower()}"
    predicate.__qualname__ = f"State.{predicate.__name__}"
    return predicate


class State:
    """A run's state: its type, a name, a message, when it was entered and (maybe) its result."""

    __slots__ = (
        "id",
        "type",
        "name",
        "message",
        "timestamp",
        "_data",
        "scheduled_time",
        "flow_run_id",
        "task_run_id",
        "_result",
        "_has_result",
        "_retriable",  # Prefect's state_details.retriable; left unset (None) unless given
        "_child_flow_run_id",  # a subflow stand-in's: its subflow run (left unset otherwise)
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
        self._result: Any = None
        self._has_result = False
        if data is not None and data.__class__ is not dict and not isinstance(data, _HOLDERS):
            self._result, self._has_result, data = data, True, None  # Prefect's `State(data=value)`
        self._data = data  # a stored reference (dict), a result record the user made, or None
        self.scheduled_time = scheduled_time
        self.id = id or new_time_uuid()
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id

    # -- predicates: state.is_completed(), ... (one per type; `_is_type` makes each) -----------------
    is_scheduled = _is_type(StateType.SCHEDULED)
    is_pending = _is_type(StateType.PENDING)
    is_running = _is_type(StateType.RUNNING)
    is_completed = _is_type(StateType.COMPLETED)
    is_failed = _is_type(StateType.FAILED)
    is_crashed = _is_type(StateType.CRASHED)
    is_cancelled = _is_type(StateType.CANCELLED)
    is_cancelling = _is_type(StateType.CANCELLING)
    is_paused = _is_type(StateType.PAUSED)

    def is_final(self) -> bool:
        return self.type in TERMINAL_STATES

    # -- results --------------------------------------------------------------------------------
    @property
    def data(self) -> Any:
        """Prefect's `state.data`: a completed run's value here as a `ResultRecord` (where it was
        written, or would be); else what it holds (a stored reference, a record, pause details)."""
        data = self._data
        if self._has_result and (data is None or data.__class__ is dict):
            if self.type is StateType.COMPLETED:
                return record_of(self._result, data, self.task_run_id or self.flow_run_id or self.id)
            if data is None:  # another state given a value (a failure's exception): the value
                return self._result
        return data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> State:
        """A state as the API answered it: completed without a stored value, its result is missing."""
        state = cls.from_dict(d)
        if state._data is None and state.type is StateType.COMPLETED:
            state._result = _MISSING
        return state

    def set_result(self, value: Any) -> None:
        self._result = value
        self._has_result = True

    def result(
        self, raise_on_failure: bool = True, fetch: bool | None = None, retry_result_failure: bool = True
    ) -> Any:
        """The run's return value; for a failed state, raise its exception (or return it).

        Called directly from an `async def` body it returns an awaitable, as Prefect's
        `await state.result()`; so does `fetch=True` wherever an event loop runs.
        """
        if sys._getframe(1).f_code.co_flags & ASYNC_BODY or (fetch and _in_running_loop()):
            return self.aresult(raise_on_failure=raise_on_failure)
        return self.value(raise_on_failure)

    def value(self, raise_on_failure: bool = True) -> Any:
        """`result()` that never answers an awaitable (the engine's own reads)."""
        if not self._has_result and self._data:
            self._load()
        value = self._result
        if value is _MISSING:
            raise MissingResult(
                "State data is missing. Typically, this occurs when result persistence is disabled "
                "and the state has been retrieved from the API."
            )
        if self.type in _UNSUCCESSFUL:
            if raise_on_failure:
                raise get_state_exception(self)
            # as Prefect: what the state holds (its exception, or the states a flow returned)
            return value if value is not None else get_state_exception(self)
        if self.type is StateType.PAUSED:
            raise _PausedRun(f"Run is in {self.name} state, its result is not available.", state=self)
        if not self._has_result and self.type is not StateType.COMPLETED:
            raise _UnfinishedRun(f"Run is in {self.name} state, its result is not available.")
        return value

    def _load(self) -> None:
        """Read the result the state's data points to (a stored reference or a result record)."""
        data = self._data
        if isinstance(data, _HOLDERS):
            self.set_result(data.get())
        elif isinstance(data, dict) and "storage_key" in data:
            self.set_result(load_result(data))

    async def aresult(self, raise_on_failure: bool = True) -> Any:
        """`result()` for async code (Prefect's name)."""
        return self.value(raise_on_failure)

    @property
    def state_details(self) -> StateDetails:
        """Prefect's `state.state_details`: the ids of the run this state belongs to."""
        details = StateDetails(self.flow_run_id, self.task_run_id)
        details.retriable = getattr(self, "_retriable", None)
        details.child_flow_run_id = _as_uuid(getattr(self, "_child_flow_run_id", None))
        if self._data.__class__ is dict and self._data.get("pause_key"):  # a pause's keys (keyset)
            key = details.pause_key = self._data["pause_key"]
            details.run_input_keyset = {k: f"{key}-{k}" for k in ("description", "response", "schema")}
        return details

    # -- serialization --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "name": self.name,
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
            "data": stored_data(self._data),
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
            "data": self._data,
            "scheduled_time": self.scheduled_time,
            "flow_run_id": self.flow_run_id,
            "task_run_id": self.task_run_id,
        }
        fields.update(changes)
        return State(**fields)

    def __repr__(self) -> str:
        msg = f", message={self.message!r}" if self.message else ""
        return f"{self.name}(type={self.type.value}{msg})"


_DETAIL_FIELDS = ("flow_run_id", "task_run_id", "task_parameters_id", "retriable")
_DETAIL_FIELDS += ("pause_key", "run_input_keyset", "child_flow_run_id")  # a pause's; a stand-in's


class StateDetails:
    """The run a state belongs to, as UUIDs (None when unknown)."""

    __slots__ = _DETAIL_FIELDS

    def __init__(self, flow_run_id: str | None, task_run_id: str | None) -> None:
        self.flow_run_id = _as_uuid(flow_run_id)
        self.task_run_id = _as_uuid(task_run_id)
        #: where a background run's parameters are kept: with the run itself
        self.task_parameters_id = self.task_run_id
        self.retriable: bool | None = None
        self.pause_key: str | None = None
        self.run_input_keyset: dict[str, str] | None = None
        self.child_flow_run_id: uuid.UUID | None = None  # a subflow stand-in's subflow run

    def __repr__(self) -> str:
        return f"StateDetails(flow_run_id={self.flow_run_id!r}, task_run_id={self.task_run_id!r})"


def _as_uuid(value: Any) -> uuid.UUID | None:
    import uuid  # lazy: uuid loads `platform`; ids are strings until a state's details are read

    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


#: what a user's state may hold as its data besides a value: result objects with a `get()`
_HOLDERS = RESULT_HOLDERS


#: the value of a state read from the API whose result was never stored
_MISSING = object()

_UNSUCCESSFUL = (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)


class RunFailed(FailedRun):
    """Raised by `State.result()` for a failed run whose exception is not available in-process
    (Prefect's `FailedRun`; crashed and cancelled runs raise subclasses of Prefect's names too)."""


class _RunCrashed(RunFailed, CrashedRun):
    pass


class _RunCancelled(RunFailed, CancelledRun):
    pass


class _UnfinishedRun(UnfinishedRun, RuntimeError):
    pass


class _PausedRun(PausedRun, RuntimeError):
    pass


_ERRORS = {StateType.FAILED: RunFailed, StateType.CRASHED: _RunCrashed, StateType.CANCELLED: _RunCancelled}


def get_state_exception(state: State) -> BaseException:
    """The exception a failed, crashed or cancelled state stands for (Prefect's rules): its own;
    that of the state it holds, or of the first unsuccessful one of the states it holds (a flow
    that returned states); for a message or nothing, one named after its type (`FailedRun`,
    `CrashedRun`, `CancelledRun`). A ValueError for a state that is none of those, or that holds
    states none of which failed; a TypeError for a value that is no exception."""
    if state.type not in _UNSUCCESSFUL:
        raise ValueError(f"Expected failed or crashed state got {state!r}.")
    if not state._has_result and state._data:
        state._load()  # an exception stored with the run, or in a result record
    value = state._result if state._has_result else None
    if isinstance(value, BaseException):
        return value
    if isinstance(value, State):
        return get_state_exception(value)
    if is_state_iterable(value):
        for inner in value:
            if inner.type in _UNSUCCESSFUL:
                return get_state_exception(inner)
        raise ValueError("Failed state result was an iterable of states but none were failed.")
    error = _ERRORS.get(state.type, RunFailed)
    if value is None:
        return error(state.message or f"Run ended in state {state.name}")
    if isinstance(value, str):
        return error(value)
    raise TypeError(
        f"Unexpected result for failed state: {value!r} —— {type(value).__name__} cannot be resolved "
        "into an exception"
    )


def is_state_iterable(obj: Any) -> bool:
    """A non-empty list, tuple or set of states only."""
    return (
        isinstance(obj, (list, tuple, set, frozenset))
        and bool(obj)
        and all(isinstance(o, State) for o in obj)
    )


def _parse_dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
