"""The run context, as Prefect's `prefect.context`: `get_run_context()`, `FlowRunContext`
(also as Prefect's older name `EngineContext`), `TaskRunContext` (each with `.get()`), `tags` and
`TagsContext`."""

from jupyter_orch.engine.context import (
    FlowRunContext,
    TagsContext,
    TaskRunContext,
    get_run_context,
    tags,
)

EngineContext = FlowRunContext

__all__ = ["EngineContext", "FlowRunContext", "TagsContext", "TaskRunContext", "get_run_context", "tags"]
