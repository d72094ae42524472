"""The loops that drive a task run to its final state: attempts, retries and their waits, in
this thread (`run_task_sync`) or on the running event loop (`run_task_async`).

They stand above `TaskRunEngine` (the run's states and records) and drive it; what runs a task
(its call, a task runner's thread, a task worker) calls them with the engine."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from jupyter_orch.annotations import BaseAnnotation
from jupyter_orch.concurrency.v1 import sync as tag_slots
from jupyter_orch.engine.attempts import run_inline, sleep_async, sleep_sync
from jupyter_orch.engine.context import task_run_ctx
from jupyter_orch.engine.futures import PrefectConcurrentFuture
from jupyter_orch.engine.logging import install_print_hook, print_recorder, print_target
from jupyter_orch.engine.records import record_fields
from jupyter_orch.engine.task_engine import TaskRunEngine
from jupyter_orch.engine.task_transactions import close_transaction, open_transaction
from jupyter_orch.engine.timeouts import await_with_timeout, call_with_timeout
from jupyter_orch.exceptions import ConfigurationError

if TYPE_CHECKING:
    from jupyter_orch.states import State


def run_task_sync(engine: TaskRunEngine, run_body: Callable[..., Any] | None = None) -> State:
    """Run to a final state in this thread; `run_body(fn, args, kwargs, timeout)` calls the
    body (a task runner may send it elsewhere)."""
    return run_inline(_run(engine, _call_sync, sleep_sync, run_body))


async def run_task_async(engine: TaskRunEngine) -> State:
    """Run an async task body to a final state on the current event loop."""
    pending = unfinished_runs([engine.parameters, engine.wait_for], own=engine.id)
    if pending:  # `begin` blocks on its upstreams: on this loop, which they may need, wait here
        import asyncio  # loaded already: this is a coroutine on a running loop

        await asyncio.wait([asyncio.wrap_future(f) for f in pending])
    return await _run(engine, _call_async, sleep_async, None)


def unfinished_runs(value: Any, found: list[Any] | None = None, own: str | None = None) -> list[Any]:
    """The `concurrent.futures.Future`s of the submitted runs in `value` (in its lists, tuples,
    sets, dicts, records and annotations, as `resolve` looks) that have not ended yet; not the
    run `own` itself (which `begin` refuses to wait for)."""
    found = [] if found is None else found
    if isinstance(value, PrefectConcurrentFuture):
        if not value.done() and value._task_run_id != own:
            found.append(value.wrapped_future)
    elif isinstance(value, BaseAnnotation):
        unfinished_runs(value.value, found, own)
    elif isinstance(value, (list, tuple, set, frozenset, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            unfinished_runs(item, found, own)
    elif (fields := record_fields(value)) is not None:
        unfinished_runs(list(fields.values()), found, own)
    return found


async def _call_sync(task: Any, args: tuple, kwargs: dict[str, Any], run_body: Any) -> Any:
    if run_body is not None:
        return run_body(task.fn, args, kwargs, task.timeout_seconds)
    if task.is_async:
        # heavy: asyncio, only for async tasks (a sync flow's first call never loads it)
        from jupyter_orch.engine.asyncutils import run_coro_sync

        return run_coro_sync(await_with_timeout(task.fn(*args, **kwargs), task.timeout_seconds))
    if task.timeout_seconds is not None:
        return call_with_timeout(task.fn, args, kwargs, task.timeout_seconds)
    return task.fn(*args, **kwargs)


async def _call_async(task: Any, args: tuple, kwargs: dict[str, Any], run_body: Any) -> Any:
    value = task.fn(*args, **kwargs)
    if inspect.isawaitable(value):
        value = await await_with_timeout(value, task.timeout_seconds)
    return value


async def _run(engine: TaskRunEngine, call: Any, sleep: Any, run_body: Any) -> State:
    """Both drivers' attempts (see `attempts`): `call(task, args, kwargs, run_body)` runs the
    body once, `sleep(delay)` waits before a retry."""
    task = engine.task
    final = engine.begin()
    if final is not None:
        return final
    held = hold_slots(engine) if call is _call_sync else await hold_slots_async(engine)
    if _serializable(engine) is not None:  # it waited for its key's lock: the holder's record counts
        hit = engine.cached()
        if hit is not None:
            release_slots(engine, held)
            return hit
    tokens = enter_task(engine)
    try:
        engine.txn = open_transaction(engine)
        args, kwargs = task.call_body(engine.parameters)
        while True:
            try:
                engine.begin_run()
                value = await call(task, args, kwargs, run_body)
            except Exception as exc:
                delay = engine.fail(exc)
                if delay is None:
                    return engine.state  # type: ignore[return-value]
                if delay:
                    await sleep(delay)
                continue
            except BaseException as exc:
                engine.crash(exc)
                raise
            if type(value) is GeneratorType:  # a generator cannot be stored: its values are (Prefect's)
                value = list(value)
            return engine.succeed(value)
    finally:
        close_transaction(engine.txn)
        exit_task(engine, tokens)
        if call is _call_sync or held is None:
            release_slots(engine, held)
        else:
            await release_slots_async(engine, held)


def enter_task(engine: TaskRunEngine) -> tuple[Any, Any]:
    """Set the task-run context (and where its prints go); the tokens to leave it."""
    token = task_run_ctx.set(engine.task_context())
    prints = None
    if engine._log_prints():
        install_print_hook()
        prints = print_target.set(print_recorder(engine.flow_run_id, engine.id))
    elif engine.task.log_prints is False:
        prints = print_target.set(None)
    return token, prints


def exit_task(engine: TaskRunEngine, tokens: tuple[Any, Any]) -> None:
    token, prints = tokens
    if prints is not None:
        print_target.reset(prints)
    task_run_ctx.reset(token)


def _serializable(engine: TaskRunEngine) -> Any:
    """The lock manager a SERIALIZABLE cache policy names (ConfigurationError without one)."""
    if not engine.cache_key:  # first: most runs have no key (and no lock to take)
        return None
    policy = engine.task.cache_policy
    if getattr(policy, "isolation_level", None) != "SERIALIZABLE":
        return None
    if policy.lock_manager is None:
        raise ConfigurationError("Isolation level SERIALIZABLE is not supported by provided configuration")
    return policy.lock_manager


#: what a run of a tagged task holds: its tags and when it took their slots (None: no tags)
Held = tuple[list[str], float] | None


def hold_slots(engine: TaskRunEngine) -> Held:
    """Wait for a slot of each concurrency-limited tag of the task (and, for a SERIALIZABLE cache
    policy, its cache key's lock), as Prefect's engine does: through
    `concurrency.v1.sync._acquire_concurrency_slots` for every tagged task (a tag without a limit
    never waits, nor asks the database inside a flow run); untagged tasks skip it all."""
    locks = _serializable(engine)
    if locks is not None:
        locks.acquire_lock(engine.cache_key, engine.id)
    if not engine.tags:
        return None
    names, run_id = list(engine.tags), _uuid(engine.id)
    tag_slots._acquire_concurrency_slots(names, task_run_id=run_id, timeout_seconds=None, _sync=True)
    return names, time.monotonic()


async def hold_slots_async(engine: TaskRunEngine) -> Held:
    """`hold_slots` for an async task: waits with the event loop free
    (`concurrency.v1.asyncio._acquire_concurrency_slots`)."""
    locks = _serializable(engine)
    if locks is not None:
        locks.acquire_lock(engine.cache_key, engine.id)
    if not engine.tags:
        return None
    # here, not at the top: it loads asyncio, which a sync flow's first call never needs
    from jupyter_orch.concurrency.v1 import asyncio as async_tag_slots

    names, run_id = list(engine.tags), _uuid(engine.id)
    await async_tag_slots._acquire_concurrency_slots(names, task_run_id=run_id, timeout_seconds=None)
    return names, time.monotonic()


def _uuid(run_id: str) -> Any:
    import uuid  # here, not at the top: only tagged tasks make one (uuid loads platform)

    return uuid.UUID(run_id)


def _release_lock(engine: TaskRunEngine) -> None:
    locks = _serializable(engine)
    if locks is not None and locks.is_lock_holder(engine.cache_key, engine.id):
        engine.writer.flush()  # the next holder of the key reads this run's record
        locks.release_lock(engine.cache_key, engine.id)


def release_slots(engine: TaskRunEngine, held: Held) -> None:
    _release_lock(engine)
    if held is not None:
        names, since = held
        tag_slots._release_concurrency_slots(names, _uuid(engine.id), time.monotonic() - since, _sync=True)


async def release_slots_async(engine: TaskRunEngine, held: Held) -> None:
    _release_lock(engine)
    if held is not None:
        from jupyter_orch.concurrency.v1 import asyncio as async_tag_slots  # loaded by hold_slots_async

        names, since = held
        await async_tag_slots._release_concurrency_slots(names, _uuid(engine.id), time.monotonic() - since)
