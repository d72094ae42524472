"""Tasks, as Prefect's `prefect.tasks`: the `@task` decorator, `Task`, `task_input_hash` and
`exponential_backoff`."""

from jupyter_orch.engine.caching import task_input_hash
from jupyter_orch.engine.tasks import Task, exponential_backoff, task

__all__ = ["Task", "exponential_backoff", "task", "task_input_hash"]
