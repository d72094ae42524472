"""Prefect's `prefect.client.schemas.objects` names: `FlowRun`, `TaskRun` (what hooks receive and
what `PrefectClient.read_*` answers), `State` / `StateType`, `Log`, and the task-input references
recorded on a task run (`TaskRunResult`, `Parameter`, `Constant`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from pydantic import TypeAdapter

from jupyter_orch.client.schemas.artifacts import Artifact
from jupyter_orch.client.schemas.workers import ConcurrencyLimitConfig, Worker, WorkerStatus
from jupyter_orch.states import State, StateType
from jupyter_orch.states.runs import FlowRun, TaskRun


@dataclass(frozen=True)
class TaskRunResult:
    """A task input that came from another task run (the upstream run's id)."""

    id: uuid.UUID
    input_type: str = "task_run"

    def __post_init__(self) -> None:
        if not isinstance(self.id, uuid.UUID):
            object.__setattr__(self, "id", uuid.UUID(str(self.id)))


@dataclass(frozen=True)
class Parameter:
    """A task input that came from a flow run's parameter."""

    name: str
    input_type: str = "parameter"


@dataclass(frozen=True)
class Constant:
    """A task input that was a constant of this type."""

    type: str
    input_type: str = "constant"


class Log(SimpleNamespace):
    """A log record as the API keeps it (`name`, `level`, `message`, `timestamp`, run ids)."""

    def model_dump(self, *, include: Any = None, exclude: Any = None, mode: str = "python") -> dict[str, Any]:
        """Its fields as pydantic's `model_dump` gives them (`mode="json"`: ids and times as
        strings), limited to `include` and without `exclude`."""
        fields = {
            key: value
            for key, value in vars(self).items()
            if (include is None or key in include) and (exclude is None or key not in exclude)
        }
        return _FIELDS.dump_python(fields, mode=mode)


_FIELDS: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def task_input(ref: dict[str, Any]) -> TaskRunResult | Parameter | Constant:
    """One recorded task input (`{"input_type": "task_run", "id": ...}`) as its object."""
    kind = ref.get("input_type", "task_run")
    if kind == "parameter":
        return Parameter(ref["name"])
    if kind == "constant":
        return Constant(ref.get("type", ""))
    return TaskRunResult(ref["id"])


__all__ = [
    "Artifact",
    "ConcurrencyLimitConfig",
    "Constant",
    "FlowRun",
    "Log",
    "Parameter",
    "State",
    "StateType",
    "TaskRun",
    "TaskRunResult",
    "Worker",
    "WorkerStatus",
    "task_input",
]
