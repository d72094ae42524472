"""The flow run in progress: `from jupyter_orch.runtime import flow_run; flow_run.name`.

Inside a flow run the values come from the engine running it; inside a task run of a flow run
executed elsewhere (a process pool, a task worker) or a deployment run's process, from the run's
record; outside any run they are empty (`None`, `{}`, `[]`, 0, the current time)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from jupyter_orch.engine.context import FlowRunContext, TaskRunContext
from jupyter_orch.runtime import _access

#: the attributes this module answers (read through __getattr__, so not in __all__)
ATTRIBUTES = [
    "api_url",
    "deployment_id",
    "flow_name",
    "flow_version",
    "id",
    "job_variables",
    "name",
    "parameters",
    "parent_deployment_id",
    "parent_flow_run_id",
    "root_flow_run_id",
    "run_count",
    "scheduled_start_time",
    "tags",
    "ui_url",
]


def _engine() -> Any:
    ctx = FlowRunContext.get()
    return ctx.engine if ctx is not None else None


def get_id() -> str | None:
    ctx = FlowRunContext.get()
    if ctx is not None:
        return ctx.flow_run_id
    task_ctx = TaskRunContext.get()
    if task_ctx is not None and task_ctx.flow_run_id:
        return task_ctx.flow_run_id
    return os.environ.get("JUPYTER_ORCH_FLOW_RUN_ID") or None


def _record() -> dict[str, Any]:
    return _access.read_flow_run(get_id())


def get_name() -> str | None:
    engine = _engine()
    if engine is not None:
        return engine.run_name
    return _record().get("name")


def get_flow_name() -> str | None:
    engine = _engine()
    if engine is not None:
        return engine.flow.name
    return _record().get("flow_name")


def get_flow_version() -> str | None:
    engine = _engine()
    if engine is not None:
        return engine.flow.version
    return _record().get("flow_version")


def get_tags() -> list[str]:
    engine = _engine()
    if engine is not None:
        return list(engine.tags)
    return list(_record().get("tags") or [])


def get_parameters() -> dict[str, Any]:
    ctx = FlowRunContext.get()
    if ctx is not None:
        return dict(ctx.parameters or (ctx.engine.params if ctx.engine is not None else {}))
    return dict(_record().get("parameters") or {})


def get_run_count() -> int:
    engine = _engine()
    if engine is not None:
        return engine.run_count
    return int(_record().get("run_count") or 0)


def get_scheduled_start_time() -> datetime:
    """When the run was expected to start (its schedule slot, or its creation); now outside a run."""
    when = _record().get("expected_start_time") if get_id() else None
    parsed = _access.parse_time(when) if when else None
    return parsed or datetime.now(timezone.utc)


def get_deployment_id() -> str | None:
    engine = _engine()
    if engine is not None:
        return engine.deployment_id
    return _record().get("deployment_id")


def get_parent_flow_run_id() -> str | None:
    ctx = FlowRunContext.get()
    if ctx is not None and ctx.engine is not None:
        parent = ctx.engine.parent
        return parent.flow_run_id if parent is not None else None
    return _record().get("parent_flow_run_id")


def get_parent_deployment_id() -> str | None:
    ctx = FlowRunContext.get()
    if ctx is not None and ctx.engine is not None:
        parent = ctx.engine.parent
        if parent is None:
            return None
        return parent.engine.deployment_id if parent.engine is not None else None
    return _access.read_flow_run(get_parent_flow_run_id()).get("deployment_id")


def get_root_flow_run_id() -> str | None:
    ctx = FlowRunContext.get()
    if ctx is not None and ctx.engine is not None:
        while ctx.engine is not None and ctx.engine.parent is not None:
            ctx = ctx.engine.parent
        return ctx.flow_run_id
    run_id = get_id()
    seen: set[str] = set()
    while run_id and run_id not in seen:
        seen.add(run_id)
        parent = _access.read_flow_run(run_id).get("parent_flow_run_id")
        if not parent:
            return run_id
        run_id = parent
    return run_id


def get_job_variables() -> dict[str, Any] | None:
    return _record().get("job_variables") if get_id() else None


def get_api_url() -> str | None:
    return _access.api_url("flow_runs", get_id())


def get_ui_url() -> str | None:
    """None: runs are shown in JupyterLab's sidebar, which has no per-run URL to link to."""
    return None


FIELDS = {
    "id": get_id,
    "name": get_name,
    "flow_name": get_flow_name,
    "flow_version": get_flow_version,
    "tags": get_tags,
    "parameters": get_parameters,
    "run_count": get_run_count,
    "scheduled_start_time": get_scheduled_start_time,
    "deployment_id": get_deployment_id,
    "parent_flow_run_id": get_parent_flow_run_id,
    "parent_deployment_id": get_parent_deployment_id,
    "root_flow_run_id": get_root_flow_run_id,
    "job_variables": get_job_variables,
    "api_url": get_api_url,
    "ui_url": get_ui_url,
}


def __getattr__(name: str) -> Any:
    return _access.lookup("flow_run", FIELDS, name)


def __dir__() -> list[str]:
    return sorted(ATTRIBUTES)
