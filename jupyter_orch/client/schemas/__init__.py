"""The names Prefect's `prefect.client.schemas` gives run descriptions, for the type hints users
write on hooks (`def hook(flow: Flow, flow_run: FlowRun, state: State)`)."""

from jupyter_orch.client.schemas.objects import FlowRun, State, StateType, TaskRun

__all__ = ["FlowRun", "State", "StateType", "TaskRun"]
