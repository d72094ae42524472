"""Prefect's `prefect.client.schemas.filters` for the reads `PrefectClient` offers: a filter
names runs by id (`FlowRunFilter(id=FlowRunFilterId(any_=[...]))`) and the client turns it into
the API's query."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass
class _AnyOf:
    any_: list[Any] | None = None

    def values(self) -> list[str]:
        return [str(v) for v in self.any_ or ()]


class LogFilterFlowRunId(_AnyOf):
    """Logs of these flow runs."""


class LogFilterTaskRunId(_AnyOf):
    """Logs of these task runs."""


class LogFilterLevel:
    """Logs at or above `ge_`."""

    def __init__(self, ge_: int | None = None, le_: int | None = None) -> None:
        self.ge_ = ge_
        self.le_ = le_


@dataclass
class LogFilter:
    flow_run_id: LogFilterFlowRunId | None = None
    task_run_id: LogFilterTaskRunId | None = None
    level: LogFilterLevel | None = None


class FlowRunFilterId(_AnyOf):
    """Flow runs with these ids."""


class TaskRunFilterId(_AnyOf):
    """Task runs with these ids."""


class FlowFilterName(_AnyOf):
    """Flows with these names."""


@dataclass
class FlowRunFilter:
    id: FlowRunFilterId | None = None
    parent_task_run_id: Any = None


@dataclass
class TaskRunFilter:
    id: TaskRunFilterId | None = None


class FlowFilterId(_AnyOf):
    """Flows with these ids."""


@dataclass
class FlowFilter:
    name: FlowFilterName | None = None
    id: FlowFilterId | None = None


def ids_of(field: _AnyOf | dict[str, Any] | None) -> list[str]:
    """The ids (or names) a filter field names (none: no condition); a field may also be given
    as a dict, as Prefect's pydantic filters accept (`FlowRunFilter(id={"any_": [...]})`)."""
    if isinstance(field, dict):
        return [str(v) for v in field.get("any_") or ()]
    return field.values() if field is not None else []


def as_ids(values: Iterable[Any]) -> list[uuid.UUID]:
    return [v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)) for v in values]


__all__ = [
    "FlowFilter",
    "FlowFilterId",
    "FlowFilterName",
    "FlowRunFilter",
    "FlowRunFilterId",
    "LogFilter",
    "LogFilterFlowRunId",
    "LogFilterLevel",
    "LogFilterTaskRunId",
    "TaskRunFilter",
    "TaskRunFilterId",
]
