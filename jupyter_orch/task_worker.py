"""Task workers, as Prefect's `prefect.task_worker`: `serve(task_a, task_b, limit=10)` runs the
background task runs that `.delay(...)` / `.apply_async(...)` schedule (see
`jupyter_orch.engine.task_worker`); `my_task.serve()` serves one task."""

from jupyter_orch.engine.task_worker import TaskWorker, serve

__all__ = ["TaskWorker", "serve"]
