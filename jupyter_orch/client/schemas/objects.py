"""Prefect's `prefect.client.schemas.objects` names for what hooks receive: `FlowRun`, `TaskRun`
(defined with the states) and `State` / `StateType`, for type hints and isinstance checks."""

from jupyter_orch.states import State, StateType
from jupyter_orch.states.runs import FlowRun, TaskRun

__all__ = ["FlowRun", "State", "StateType", "TaskRun"]
