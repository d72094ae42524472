"""Cache policies: what a task's cache key is made of (Prefect's `prefect.cache_policies`).

`@task(cache_policy=INPUTS + TASK_SOURCE)` composes policies with `+`; `INPUTS - "client"` leaves
an argument out; `cache_key_fn=f` is the policy `CacheKeyFnPolicy(f)`. A key of None means "do
not cache this call". The engine only computes a key for tasks whose results persist, so tasks
without caching never pay for hashing.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


def stable_bytes(obj: Any) -> bytes:
    """Bytes that are equal for equal inputs across processes: JSON when possible, else cloudpickle."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        import cloudpickle  # heavy: only for inputs JSON cannot encode

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


def hash_objects(*objects: Any) -> str:
    """A stable hex digest of JSON-able (else cloudpickle-able) objects."""
    import hashlib  # lazy: OpenSSL's hashes load with the first cache key, not with every task

    h = hashlib.sha256()
    for obj in objects:
        h.update(stable_bytes(obj))
    return h.hexdigest()


class CachePolicy:
    """Base: `compute_key(task_ctx, inputs, flow_parameters)` gives the key or None."""

    #: where the records of cached runs are written (`configure(key_storage=...)`): a path, an
    #: fsspec URL, a storage block or a saved storage's name; each names where its value is stored
    key_storage: Any = None
    #: `configure(lock_manager=..., isolation_level=...)`: runs of one key exclude each other
    lock_manager: Any = None
    isolation_level: str | None = None

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        raise NotImplementedError

    @classmethod
    def from_cache_key_fn(cls, cache_key_fn: Callable[..., str | None]) -> CacheKeyFnPolicy:
        return CacheKeyFnPolicy(cache_key_fn)

    def configure(
        self, key_storage: Any = None, lock_manager: Any = None, isolation_level: Any = None
    ) -> CachePolicy:
        """A copy of this policy that writes the record of each cached run under its key in
        `key_storage` (a path, an fsspec URL, a storage block or a saved storage's name), as
        Prefect's result metadata: JSON naming where the value went (the task's result storage).
        The keys themselves live in the run database, shared by every process of an installation
        (a lookup is one indexed read). With `isolation_level="SERIALIZABLE"`, a run holds its cache key's
        lock in `lock_manager` (`jupyter_orch.locking`) while it runs."""
        if key_storage is None and lock_manager is None and isolation_level is None:
            return self
        configured = copy.copy(self)
        if key_storage is not None:
            configured.key_storage = str(key_storage) if isinstance(key_storage, os.PathLike) else key_storage
        configured.lock_manager = lock_manager or self.lock_manager
        configured.isolation_level = str(getattr(isolation_level, "value", isolation_level) or "") or None
        return configured

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if isinstance(other, _NoCache):
            return other
        mine = self.policies if isinstance(self, CompoundCachePolicy) else [self]
        theirs = other.policies if isinstance(other, CompoundCachePolicy) else [other]
        return CompoundCachePolicy([*mine, *(p for p in theirs if p not in mine)])

    def __sub__(self, name: str) -> CachePolicy:
        raise TypeError(f"only INPUTS takes `- {name!r}` (an argument left out of the key)")


@dataclass(eq=False)
class CacheKeyFnPolicy(CachePolicy):
    """A user's `cache_key_fn(context, parameters)`."""

    cache_key_fn: Callable[..., str | None]

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return self.cache_key_fn(task_ctx, inputs)


@dataclass(eq=False)
class CompoundCachePolicy(CachePolicy):
    """Several policies: the hash of their keys (None if any of them says None)."""

    policies: list[CachePolicy] = field(default_factory=list)

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        keys = []
        for policy in self.policies:
            key = policy.compute_key(task_ctx, inputs, flow_parameters, **kwargs)
            if key is None:
                return None
            keys.append(key)
        return hash_objects(*keys) if keys else None

    def __sub__(self, name: str) -> CachePolicy:
        return CompoundCachePolicy([p - name if isinstance(p, Inputs) else p for p in self.policies])


class _NoCache(CachePolicy):
    """Never cache (and adding anything to it stays NO_CACHE)."""

    def compute_key(self, *args: Any, **kwargs: Any) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        return self

    def __repr__(self) -> str:
        return "NO_CACHE"


class _TaskSource(CachePolicy):
    """The task function's source code."""

    def compute_key(self, task_ctx: Any, *args: Any, **kwargs: Any) -> str | None:
        task = task_ctx.task
        source = getattr(task, "source", None)
        return hash_objects(source if source is not None else source_of(task.fn))

    def __repr__(self) -> str:
        return "TASK_SOURCE"


class _FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return hash_objects(flow_parameters or {})

    def __repr__(self) -> str:
        return "FLOW_PARAMETERS"


class _RunId(CachePolicy):
    """The flow run's id (a task outside any flow: its own task run's id)."""

    def compute_key(self, task_ctx: Any, *args: Any, **kwargs: Any) -> str | None:
        return task_ctx.flow_run_id or task_ctx.task_run_id

    def __repr__(self) -> str:
        return "RUN_ID"


class Inputs(CachePolicy):
    """The task's arguments, except those named in `exclude`."""

    def __init__(self, exclude: Iterable[str] = ()) -> None:
        self.exclude = tuple(exclude)

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        kept = {k: v for k, v in inputs.items() if k not in self.exclude} if self.exclude else inputs
        return hash_objects(kept)

    def __sub__(self, name: str) -> CachePolicy:
        return Inputs([*self.exclude, name])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Inputs) and other.exclude == self.exclude

    def __hash__(self) -> int:
        return hash(("inputs", self.exclude))

    def __repr__(self) -> str:
        return f"INPUTS - {list(self.exclude)}" if self.exclude else "INPUTS"


NO_CACHE = _NoCache()
#: Prefect's name for NO_CACHE
NONE = NO_CACHE
INPUTS = Inputs()
TASK_SOURCE = _TaskSource()
FLOW_PARAMETERS = _FlowParameters()
RUN_ID = _RunId()
#: Prefect's default: the same inputs to the same code within one flow run
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NONE",
    "NO_CACHE",
    "RUN_ID",
    "TASK_SOURCE",
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "Inputs",
    "hash_objects",
]
