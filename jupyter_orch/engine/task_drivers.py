"""The loops that drive a task run to its final state: attempts, retries and their waits, in
this thread (`run_task_sync`) or on the running event loop (`run_task_async`). They are the
`run_sync` / `run_async` methods of `TaskRunEngine`."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_orch.engine.context import task_run_ctx
from jupyter_orch.engine.timeouts import await_with_timeout, call_with_timeout

if TYPE_CHECKING:
    from jupyter_orch.engine.task_engine import TaskRunEngine
    from jupyter_orch.states import State


def run_task_sync(self: TaskRunEngine, run_body: Callable[..., Any] | None = None) -> State:
    """Run to a final state in this thread; `run_body(fn, args, kwargs, timeout)` calls the
    body (a task runner may send it elsewhere)."""
    task = self.task
    final = self.begin()
    if final is not None:
        return final
    held = hold_slots(self)
    tokens = enter_task(self)
    try:
        args, kwargs = task.call_body(self.parameters)
        while True:
            self.start_attempt()
            try:
                if run_body is not None:
                    value = run_body(task.fn, args, kwargs, task.timeout_seconds)
                elif task.is_async:
                    from jupyter_orch.engine.asyncutils import run_coro_sync

                    value = run_coro_sync(await_with_timeout(task.fn(*args, **kwargs), task.timeout_seconds))
                elif task.timeout_seconds is not None:
                    value = call_with_timeout(task.fn, args, kwargs, task.timeout_seconds)
                else:
                    value = task.fn(*args, **kwargs)
            except Exception as exc:
                delay = self.fail(exc)
                if delay is None:
                    return self.state  # type: ignore[return-value]
                if delay:
                    time.sleep(delay)
                continue
            except BaseException as exc:
                self.crash(exc)
                raise
            return self.succeed(value)
    finally:
        exit_task(self, tokens)
        release_slots(self, held)


async def run_task_async(self: TaskRunEngine) -> State:
    """Run an async task body to a final state on the current event loop."""
    task = self.task
    final = self.begin()
    if final is not None:
        return final
    held = hold_slots(self)
    tokens = enter_task(self)
    try:
        args, kwargs = task.call_body(self.parameters)
        while True:
            self.start_attempt()
            try:
                value = task.fn(*args, **kwargs)
                if inspect.isawaitable(value):
                    value = await await_with_timeout(value, task.timeout_seconds)
            except Exception as exc:
                delay = self.fail(exc)
                if delay is None:
                    return self.state  # type: ignore[return-value]
                if delay:
                    import asyncio

                    await asyncio.sleep(delay)
                continue
            except BaseException as exc:
                self.crash(exc)
                raise
            return self.succeed(value)
    finally:
        exit_task(self, tokens)
        release_slots(self, held)


def enter_task(self: TaskRunEngine) -> tuple[Any, Any]:
    """Set the task-run context (and where its prints go); the tokens to leave it."""
    token = task_run_ctx.set(self.task_context())
    prints = None
    if self._log_prints():
        from jupyter_orch.engine.logging import install_print_hook, print_recorder, print_target

        install_print_hook()
        prints = print_target.set(print_recorder(self.flow_run_id, self.id))
    elif self.task.log_prints is False:
        from jupyter_orch.engine.logging import print_target

        prints = print_target.set(None)
    return token, prints


def exit_task(self: TaskRunEngine, tokens: tuple[Any, Any]) -> None:
    token, prints = tokens
    if prints is not None:
        from jupyter_orch.engine.logging import print_target

        print_target.reset(prints)
    task_run_ctx.reset(token)


def hold_slots(self: TaskRunEngine) -> list[str]:
    """Wait for a slot of each concurrency-limited tag of the task; the tags held."""
    ctx = self.flow_ctx
    if ctx is None or not ctx.limited_tags or not self.tags:
        return []
    limited = sorted(set(self.tags) & ctx.limited_tags)
    if limited:
        while not ctx.client.increment_concurrency_slots(limited, self.id):
            time.sleep(0.1)
    return limited


def release_slots(self: TaskRunEngine, held: list[str]) -> None:
    if held and self.flow_ctx is not None:
        self.flow_ctx.client.decrement_concurrency_slots(self.id)
