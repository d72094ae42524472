"""The flow run in progress: `from jupyter_orch.runtime import flow_run; flow_run.name`.

Inside a flow run the values come from the engine running it; inside a task run of a flow run
executed elsewhere (a process pool, a task worker) or a deployment run's process, from the run's
record; outside any run they are empty (`None`, `{}`, `[]`, 0, the current time)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any

from jupyter_orch.engine.context import FlowRunContext, TaskRunContext
from jupyter_orch.runtime import _access


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


def _engine_or_record(attribute: str, key: str) -> Callable[[], Any]:
    """A getter: `attribute` (dotted) of the engine running the flow run here, else `key` of the
    run's record."""
    read = attrgetter(attribute)

    def get() -> Any:
        engine = _engine()
        return read(engine) if engine is not None else _record().get(key)

    return get


get_name = _engine_or_record("run_name", "name")
get_flow_name = _engine_or_record("flow.name", "flow_name")
get_flow_version = _engine_or_record("flow.version", "flow_version")
get_deployment_id = _engine_or_record("deployment_id", "deployment_id")


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


get_api_url = _access.api_url("flow_runs", get_id)
get_ui_url = _access.get_ui_url


__getattr__, __dir__ = _access.module_attributes("flow_run", globals())
