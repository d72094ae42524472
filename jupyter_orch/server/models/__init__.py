"""Prefect's `prefect.server.models` reads that tests of flows use, over this process's client
(the `session` they take is accepted and unused: the client reaches the database itself):
`flow_runs.read_flow_run`, `flow_runs.read_task_run_dependencies`, `task_runs.read_task_run`;
and `flow_runs.update_flow_run`, which writes the run's row in this process's database directly
(as Prefect's server-side function, any field: its tests move a run to a deployment with it)."""

from jupyter_orch.server.models import flow_runs, task_runs
from jupyter_orch.server.models.flow_runs import read_task_run_dependencies

__all__ = ["flow_runs", "read_task_run_dependencies", "task_runs"]
