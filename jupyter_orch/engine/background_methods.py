"""A task's background methods (Prefect's): `.delay(...)` / `.apply_async(...)` schedule a run for
a task worker, `.create_run(...)` records one without running it, `.serve()` runs a task worker
for the task here. Kept apart from `engine.tasks` so the modules they need (background runs, the
task worker) load only when one is used, and sit below `Task` without importing it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class BackgroundMethods:
    """Mixed into `Task`: what runs it in the background, through task workers."""

    def apply_async(
        self,
        args: tuple | None = None,
        kwargs: dict[str, Any] | None = None,
        wait_for: Iterable[Any] | None = None,
        dependencies: Any = None,
    ) -> Any:
        """A background run for a task worker (`task_worker.serve`); a `PrefectDistributedFuture` at once."""
        from jupyter_orch.engine.background import apply_async  # lazy: task-worker runs, on first use

        return apply_async(self, args, kwargs, wait_for, dependencies=dependencies)

    async def create_run(self, parameters: dict | None = None, wait_for: Any = None, **_: Any) -> Any:
        """Record a Pending run of this task without running it (Prefect's); its `TaskRun`."""
        from jupyter_orch.engine.background import record_run  # lazy: task-worker runs, on first use

        return record_run(self, parameters, wait_for)

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        """`apply_async(args, kwargs)`: a background run of this task for a task worker."""
        return self.apply_async(args, kwargs)

    def serve(self) -> Any:
        """Run a task worker for this task in this process until interrupted (Prefect's
        `my_task.serve()`, as `task_worker.serve(my_task)`; an awaitable in async code)."""
        from jupyter_orch.engine.task_worker import serve  # lazy: task workers, on first use

        return serve(self)
