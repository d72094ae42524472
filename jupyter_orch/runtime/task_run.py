"""The task run in progress: `from jupyter_orch.runtime import task_run; task_run.name`
(empty values outside a task run)."""

from __future__ import annotations

from typing import Any

from jupyter_orch.engine.context import TaskRunContext
from jupyter_orch.runtime import _access


def _engine() -> Any:
    ctx = TaskRunContext.get()
    return ctx.engine if ctx is not None else None


def get_id() -> str | None:
    ctx = TaskRunContext.get()
    return ctx.task_run_id if ctx is not None else None


def get_name() -> str | None:
    ctx = TaskRunContext.get()
    return ctx.task_run_name if ctx is not None else None


def get_task_name() -> str | None:
    ctx = TaskRunContext.get()
    return ctx.task.name if ctx is not None else None


def get_tags() -> list[str]:
    engine = _engine()
    return list(engine.tags) if engine is not None else []


def get_parameters() -> dict[str, Any]:
    ctx = TaskRunContext.get()
    return dict(ctx.parameters or {}) if ctx is not None else {}


def get_run_count() -> int:
    engine = _engine()
    return engine.times.run_count if engine is not None else 0


get_api_url = _access.api_url("task_runs", get_id)
get_ui_url = _access.get_ui_url


__getattr__, __dir__ = _access.module_attributes("task_run", globals())
