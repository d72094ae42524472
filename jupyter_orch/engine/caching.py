"""Cache keys for tasks: by default a stable hash of the task's source and its inputs."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from jupyter_orch.cache_policies import stable_bytes
from jupyter_orch.engine.hooks import task_run_view
from jupyter_orch.engine.results import is_stored, stored_reference
from jupyter_orch.settings import PREFECT_TASKS_REFRESH_CACHE
from jupyter_orch.states import Cached, State


def task_input_hash(context: Any, arguments: dict[str, Any]) -> str:
    """Prefect-compatible default `cache_key_fn`: the task (its key, so two tasks of the same code
    do not share entries), its source and its inputs, hashed."""
    import hashlib  # lazy: OpenSSL's hashes load with the first key, not with the engine

    h = hashlib.sha256()
    h.update(context.task.task_key.encode())
    h.update(context.task.source.encode())
    h.update(stable_bytes(arguments))
    return h.hexdigest()


def cache_key_of(engine: Any) -> str | None:
    """The cache key of a task run about to start: its `result_storage_key` rendered, else its
    cache policy's key. A policy that cannot hash the inputs logs a warning and gives None (the
    call runs uncached), as Prefect does."""
    task = engine.task
    if task.result_storage_key is not None:
        return render_storage_key(engine)
    flow_ctx = engine.flow_ctx
    try:
        key = task.cache_policy.compute_key(
            engine.task_context(), engine.parameters, flow_ctx.parameters if flow_ctx else {}
        )
    except Exception as exc:
        engine.logger().warning(
            "Cache key computation failed (%s: %s); this task run will not be cached",
            type(exc).__name__,
            exc,
        )
        return None
    return str(key)[:255] if key else None


def render_storage_key(engine: Any) -> str:
    """`result_storage_key` over `parameters`, `flow_run` and `task_run` (Prefect's template)."""
    ctx = engine.flow_ctx
    flow_run = SimpleNamespace(
        id=ctx.flow_run_id if ctx else None,
        name=ctx.flow_run_name if ctx else None,
        flow_name=ctx.flow.name if ctx else None,
        parameters=ctx.parameters if ctx else {},
    )
    key = engine.task.result_storage_key.format(
        parameters=engine.parameters, flow_run=flow_run, task_run=task_run_view(engine)
    )
    return key[:255]


def check_cache(engine: Any) -> Any:
    """Consult the cache for a task run (PENDING, inputs resolved): the Cached state it entered,
    or None if the body must run. `refresh_cache=True` computes the key (the run overwrites the
    entry) but never reads it."""
    key = cache_key_of(engine)
    if not key:
        return None
    engine.cache_key = key
    refresh = engine.task.refresh_cache
    if refresh or (refresh is None and PREFECT_TASKS_REFRESH_CACHE.value()):
        return None
    hit = engine.orch_client().lookup_cached(key)
    data = State.from_dict(hit["state"])._data if hit is not None else None
    if isinstance(data, dict) and "storage_key" in data and not is_stored(data):
        hit = data = None  # its value was deleted: the run executes again
    if hit is None:
        task = engine.task
        if task.result_storage_key is None or task.cache_expiration is not None:
            return None  # a stored file says nothing of when it expires
        data = stored_reference(key, task.result_storage, task.serializer)  # written by an earlier run
        if data is None:
            return None
        message = "Cached result found in storage"
    else:
        exp = hit.get("cache_expiration")
        engine.cache_expiration = datetime.fromisoformat(exp) if isinstance(exp, str) else exp
        message = f"Cached result of task run {hit['id']}"
    engine.propose(Cached(data=data, message=message))
    return engine.state


def source_file_hash(fn: Callable[..., Any]) -> str | None:
    """A hash of the file `fn` is defined in (a flow's default version, as Prefect's), or None."""
    import hashlib  # lazy: OpenSSL's hashes load when a flow run is created, not with the engine

    try:
        path = inspect.getsourcefile(fn)
        if path is None:
            return None
        with open(path, "rb") as f:
            return hashlib.md5(f.read(), usedforsecurity=False).hexdigest()
    except (OSError, TypeError):
        return None
