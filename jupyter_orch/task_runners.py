"""Task runners, as Prefect's `prefect.task_runners`: where a flow's submitted and mapped task
runs execute (`@flow(task_runner=...)`), each also usable on its own as a context manager;
`PrefectTaskRunner` hands them to task workers (background tasks)."""

from jupyter_orch.engine.background import PrefectTaskRunner
from jupyter_orch.engine.process_runner import ProcessPoolTaskRunner
from jupyter_orch.engine.task_runners import DaskTaskRunner, TaskRunner, ThreadPoolTaskRunner

__all__ = [
    "DaskTaskRunner",
    "PrefectTaskRunner",
    "ProcessPoolTaskRunner",
    "TaskRunner",
    "ThreadPoolTaskRunner",
]
