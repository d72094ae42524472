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
    do not share entries), its code and its inputs, hashed. The code is the body's bytecode and
    plain constants, as Prefect hashes `fn.__code__.co_code`: a body renamed or reformatted (its
    `fn` replaced by one that does the same) keeps its entries; a changed body does not."""
    import hashlib  # lazy: OpenSSL's hashes load with the first key, not with the engine

    h = hashlib.sha256()
    h.update(context.task.task_key.encode())
    h.update(_code_of(context.task))
    h.update(stable_bytes(arguments))
    return h.hexdigest()


def _code_of(task: Any) -> bytes:
    code = getattr(task.fn, "__code__", None)
    if code is None:  # a callable object: its source
        return task.source.encode()
    plain = [c for c in code.co_consts if type(c) in (int, float, str, bytes, bool, type(None))]
    return code.co_code + repr(plain).encode()  # str/number reprs do not vary between processes


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
        data = _stored_by_key(engine.task, key)
        if data is None:
            return None
        message = "Cached result found in storage"
    else:
        exp = hit.get("cache_expiration")
        engine.cache_expiration = datetime.fromisoformat(exp) if isinstance(exp, str) else exp
        message = f"Cached result of task run {hit['id']}"
    cached = Cached(data=data, message=message)
    if engine.task.cache_result_in_memory and not _read_now(engine, cached, key):
        return None
    engine.propose(cached)
    return engine.state


def _stored_by_key(task: Any, key: str) -> Any:
    """The reference to a value an earlier run stored under the task's `result_storage_key`
    (rendered: `key`), or None (a stored file says nothing of when it expires: none then)."""
    if task.result_storage_key is None or task.cache_expiration is not None:
        return None
    return stored_reference(key, task.result_storage, task.serializer)


def _read_now(engine: Any, cached: State, key: str) -> bool:
    """Load a hit's value now, as Prefect reads the record on a hit (a later run may write the
    same key); False, with a warning, when it cannot be read: a miss, the body runs."""
    try:
        cached.value()
    except Exception as exc:
        engine.logger().warning("Cached result under key %r could not be read (%r): running", key, exc)
        return False
    return True


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
