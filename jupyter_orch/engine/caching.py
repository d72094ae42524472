"""Cache keys for tasks: by default a stable hash of the task's source and its inputs."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any


def stable_bytes(obj: Any) -> bytes:
    """Bytes that are equal for equal inputs across processes: JSON when possible, else cloudpickle."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        import cloudpickle

        return cloudpickle.dumps(obj)


def source_of(fn: Callable[..., Any]) -> str:
    """The function's source, or its compiled code when the source is unavailable (e.g. exec)."""
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        if code is None:
            return repr(fn)
        return code.co_code.hex() + repr(code.co_consts)


def task_input_hash(context: Any, arguments: dict[str, Any]) -> str:
    """Prefect-compatible default `cache_key_fn`: the task's source plus its inputs, hashed."""
    h = hashlib.sha256()
    h.update(context.task.source.encode())
    h.update(stable_bytes(arguments))
    return h.hexdigest()
