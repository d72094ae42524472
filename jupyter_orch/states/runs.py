"""Run descriptions as state-change hooks receive them: `FlowRun` and `TaskRun` (the names of
Prefect's `prefect.client.schemas.objects`, re-exported there). Attribute bags over the fields the
engine has (`id`, `name`, `parameters`, `tags`, `state`, ...), built only when a hook, a retry
condition or a run-name template asks."""

from __future__ import annotations

from types import SimpleNamespace


class FlowRun(SimpleNamespace):
    """A flow run as a hook's `flow_run` (id, name, flow_name, parameters, tags, state, ...)."""


class TaskRun(SimpleNamespace):
    """A task run as a hook's `task_run` (id, name, flow_run_id, task_key, run_count, state, ...)."""


__all__ = ["FlowRun", "TaskRun"]
