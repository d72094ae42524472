"""The task run in progress: `from jupyter_orch.runtime import task_run; task_run.name`
(empty values outside a task run)."""

from __future__ import annotations

from typing import Any

from jupyter_orch.engine.context import TaskRunContext
from jupyter_orch.runtime import _access

#: the attributes this module answers (read through __getattr__, so not in __all__)
ATTRIBUTES = ["api_url", "id", "name", "parameters", "run_count", "tags", "task_name", "ui_url"]


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


def get_api_url() -> str | None:
    return _access.api_url("task_runs", get_id())


def get_ui_url() -> str | None:
    """None: the sidebar has no per-task-run URL."""
    return None


FIELDS = {
    "id": get_id,
    "name": get_name,
    "task_name": get_task_name,
    "tags": get_tags,
    "parameters": get_parameters,
    "run_count": get_run_count,
    "api_url": get_api_url,
    "ui_url": get_ui_url,
}


def __getattr__(name: str) -> Any:
    return _access.lookup("task_run", FIELDS, name)


def __dir__() -> list[str]:
    return sorted(ATTRIBUTES)
