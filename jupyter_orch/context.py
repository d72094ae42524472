"""The run context, as Prefect's `prefect.context`: `get_run_context()`, `FlowRunContext`
(also as Prefect's older name `EngineContext`), `TaskRunContext` (each with `.get()`), `tags` and
`TagsContext`. `EngineContext(flow=, flow_run=, client=, task_runner=, result_store=,
parameters=)` makes the context of a flow run recorded beforehand, as Prefect's tests make one:
tasks run inside `with ctx:` (or given `context={"flow_run_context": ctx.serialize()}`) belong
to that flow run."""

from __future__ import annotations

from typing import Any

from jupyter_orch.client import get_client
from jupyter_orch.engine.context import (
    FlowRunContext,
    TagsContext,
    TaskRunContext,
    get_run_context,
    tags,
)


class EngineContext(FlowRunContext):
    """A flow run's context made from its record (Prefect's `EngineContext` constructor)."""

    def __init__(
        self,
        flow: Any,
        flow_run: Any,
        client: Any = None,
        task_runner: Any = None,
        result_store: Any = None,
        parameters: dict[str, Any] | None = None,
        **_options: Any,  # Prefect's start_time, background_tasks, ...: not needed here
    ) -> None:
        runner = task_runner if task_runner is not None else flow.task_runner.duplicate()
        super().__init__(
            flow,
            str(flow_run.id),
            flow_run.name,
            get_client(),  # the process's client: `client` is Prefect's, over the same API
            runner,
            parameters=dict(parameters or {}),
        )
        self._flow_run = flow_run
        self.result_store = result_store

    @property
    def flow_run(self) -> Any:
        return self._flow_run

    def serialize(self) -> dict[str, Any]:
        """What `run_task_sync(..., context={"flow_run_context": ...})` takes to run in this flow run."""
        return {"flow": self.flow, "flow_run": self._flow_run, "parameters": self.parameters}

    @classmethod
    def hydrate(cls, data: dict[str, Any]) -> EngineContext:
        """The context `serialize()` described."""
        return cls(data["flow"], data["flow_run"], parameters=data.get("parameters"))


__all__ = ["EngineContext", "FlowRunContext", "TagsContext", "TaskRunContext", "get_run_context", "tags"]
