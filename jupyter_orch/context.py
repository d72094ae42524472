"""The run context, as Prefect's `prefect.context`: `get_run_context()`, `FlowRunContext`,
`TaskRunContext` (each with `.get()`), `tags` and `TagsContext`."""

from jupyter_orch.engine.context import (
    FlowRunContext,
    TagsContext,
    TaskRunContext,
    get_run_context,
    tags,
)

__all__ = ["FlowRunContext", "TagsContext", "TaskRunContext", "get_run_context", "tags"]
