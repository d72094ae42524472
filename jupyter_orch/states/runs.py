"""Run descriptions as state-change hooks receive them: `FlowRun` and `TaskRun` (the names of
Prefect's `prefect.client.schemas.objects`, re-exported there). Attribute bags over the fields the
engine has (`id`, `name`, `parameters`, `tags`, `state`, ...), built only when a hook, a retry
condition or a run-name template asks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from jupyter_orch.states.core import State


def _compared(value: Any) -> Any:
    """A state as two reads of one run compare it (Prefect's states are compared by value)."""
    if isinstance(value, State):
        return (value.id, value.type, value.name, value.message, value.timestamp)
    return value


class _Run(SimpleNamespace):
    """Two reads of one run are equal when their fields are (their states by id and content)."""

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = vars(self), vars(other)
        if mine.keys() != theirs.keys():
            return False
        return all(_compared(v) == _compared(theirs[k]) for k, v in mine.items())

    __hash__ = None  # type: ignore[assignment]


class FlowRun(_Run):
    """A flow run as a hook's `flow_run` (id, name, flow_name, parameters, tags, state, ...)."""


class TaskRun(_Run):
    """A task run as a hook's `task_run` (id, name, flow_run_id, task_key, run_count, state, ...)."""


__all__ = ["FlowRun", "TaskRun"]
