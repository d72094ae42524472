"""What the code running inside a flow or task run can ask about that run, as Prefect's
`prefect.runtime`: `from jupyter_orch.runtime import flow_run, task_run, deployment`, then
`flow_run.name`, `task_run.id`, `deployment.parameters`, ...

Every attribute is read when it is accessed and never raises: outside a run it is `None` (or an
empty value). An environment variable `JUPYTER_ORCH__RUNTIME__<MODULE>__<ATTRIBUTE>` (for example
`JUPYTER_ORCH__RUNTIME__FLOW_RUN__NAME`) overrides a value, for tests.
"""

from jupyter_orch.runtime import deployment, flow_run, task_run

__all__ = ["deployment", "flow_run", "task_run"]
