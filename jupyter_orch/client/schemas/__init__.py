"""The names Prefect's `prefect.client.schemas` gives what the API answers (`FlowRun`, `TaskRun`,
`State`, ...), for hook type hints and `PrefectClient` results."""

from jupyter_orch.client.schemas.objects import FlowRun, State, StateType, TaskRun, TaskRunResult

__all__ = ["FlowRun", "State", "StateType", "TaskRun", "TaskRunResult"]
