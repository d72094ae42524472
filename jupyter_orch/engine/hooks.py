"""State-change hooks (`on_completion`, `on_failure`, ...) and the run descriptions they receive.

A hook is called as `hook(task, task_run, state)` or `hook(flow, flow_run, state)` after the run
entered its final state (or RUNNING, for `on_running`), in the process that ran it. A hook that
raises is logged and changes nothing: the run's state is already recorded. The `task_run` /
`flow_run` objects are built only when a hook (or a `retry_condition_fn`, or a name template)
asks, never on the plain task path.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from jupyter_orch.states.runs import FlowRun, TaskRun
from jupyter_orch.timefmt import parse_time

if TYPE_CHECKING:  # annotations only: uuid (and `platform`) load when an id is made a UUID
    import uuid

TASK_HOOKS = ("on_completion", "on_failure", "on_running")
FLOW_HOOKS = ("on_completion", "on_failure", "on_cancellation", "on_crashed", "on_running")


def hook_list(
    kind: str, hooks: Iterable[Callable[..., Any]] | None, owner: str = "flow"
) -> list[Callable[..., Any]]:
    """A hook option as a list, with Prefect's TypeError for a bare function or a non-callable
    (its example names the `owner`'s decorator: "flow" or "task")."""
    if hooks is None:
        return []
    example = f"list of hooks to {kind!r}:\n\n@{owner}({kind}=[hook1, hook2])\ndef my_{owner}():\n\tpass"
    if callable(hooks) or not isinstance(hooks, Iterable):
        raise TypeError(
            f"Expected iterable for {kind!r}; got {type(hooks).__name__} instead. Please provide a {example}"
        )
    hooks = list(hooks)
    for hook in hooks:
        if not callable(hook):
            raise TypeError(
                f"Expected callables in {kind!r}; got {type(hook).__name__} instead. "
                f"Please provide a {example}"
            )
    return hooks


def hook_name(hook: Callable[..., Any]) -> str:
    return getattr(hook, "__name__", None) or type(hook).__name__


def call_hook(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`; an async function's coroutine is run to its result (hooks and retry
    conditions may be either, as Prefect's)."""
    result = fn(*args)
    if inspect.isawaitable(result):
        from jupyter_orch.engine.asyncutils import run_coro_sync  # asyncio: only for an async hook

        result = run_coro_sync(result)
    return result


def run_hooks(
    hooks: list[Callable[..., Any]], owner: Any, run: Any, state: Any, logger: Any, level: int = logging.INFO
) -> None:
    """Call each hook; log what it did (at `level`; a failure at ERROR); never raise (a hook
    cannot change the run's state)."""
    for hook in hooks:
        name = hook_name(hook)
        logger.log(level, "Running hook %r in response to entering state %r", name, state.name)
        try:
            call_hook(hook, owner, run, state)
        except Exception as exc:
            logger.error("An error was encountered while running hook %r", name, exc_info=exc)
        else:
            logger.log(level, "Hook %r finished running successfully", name)


def as_uuid(value: Any) -> uuid.UUID | None:
    """Run ids as Prefect's run objects carry them: UUIDs (None stays None)."""
    import uuid  # lazy: uuid loads `platform`; only a hook or a run view asks

    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _flow_run_count(ctx: Any) -> int:
    """The run count of the flow run a task runs in (0 outside one)."""
    if ctx is None:
        return 0
    return ctx.engine.run_count if ctx.engine is not None else getattr(ctx.flow_run, "run_count", 0)


def task_run_view(engine: Any) -> TaskRun:
    """What a task hook sees as `task_run` (Prefect's TaskRun fields that exist here)."""
    state = engine.state
    times = engine.times
    task = engine.task
    return TaskRun(
        id=as_uuid(engine.id),
        name=engine.name,
        flow_run_id=as_uuid(engine.flow_run_id),
        task_key=task.task_key,
        task_name=task.name,
        dynamic_key=str(engine.dynamic_key),
        cache_key=engine.cache_key,
        cache_expiration=engine.cache_expiration,
        task_version=task.version,
        tags=list(engine.tags),
        parameters=engine.parameters,
        run_count=times.run_count,
        flow_run_run_count=_flow_run_count(engine.flow_ctx),
        start_time=times.start_time,
        end_time=times.end_time,
        total_run_time=times.total_run_time,
        state=state,
        state_type=state.type if state else None,
        state_name=state.name if state else None,
        state_id=state.id if state else None,
    )


def _policy(policy: Any) -> SimpleNamespace:
    """A flow's retry policy as Prefect's `flow_run.empirical_policy` (`retries`, `retry_delay`)."""
    return SimpleNamespace(retries=policy.retries, retry_delay=policy.retry_delay_seconds)


def flow_run_view(engine: Any) -> FlowRun:
    """What a flow hook sees as `flow_run`."""
    state = engine.state
    flow = engine.flow
    record = engine.record  # the run as created: what the engine does not track itself
    return FlowRun(
        id=as_uuid(engine.run_id),
        name=engine.run_name,
        flow_id=as_uuid(record.get("flow_id")),
        expected_start_time=parse_time(record.get("expected_start_time")),
        work_pool_name=record.get("work_pool_name"),
        flow_name=flow.name,
        flow_version=flow.version,
        parameters=engine.params,
        tags=list(engine.tags),
        run_count=engine.run_count,
        empirical_policy=_policy(flow.policy),
        deployment_id=as_uuid(engine.deployment_id),
        parent_task_run_id=as_uuid(engine.parent_task.id) if engine.parent_task else None,
        state=state,
        state_type=state.type if state else None,
        state_name=state.name if state else None,
        state_id=state.id if state else None,
    )


def render_run_name(kind: str, template: Any, parameters: dict[str, Any]) -> str:
    """`flow_run_name` / `task_run_name`: a template over the parameters, or a callable (given
    `parameters=` if it takes that argument)."""
    if callable(template):
        try:
            wants = "parameters" in inspect.signature(template).parameters
        except (TypeError, ValueError):
            wants = False
        name = template(parameters=parameters) if wants else template()
        if not isinstance(name, str):
            raise TypeError(
                f"Callable {template} for '{kind}' returned type {type(name).__name__} but a string "
                "is required."
            )
        return name
    if isinstance(template, str):
        return template.format(**parameters)
    raise TypeError(f"Expected string or callable for '{kind}'; got {type(template).__name__} instead.")


__all__ = [
    "FLOW_HOOKS",
    "TASK_HOOKS",
    "flow_run_view",
    "hook_list",
    "render_run_name",
    "run_hooks",
    "task_run_view",
]
