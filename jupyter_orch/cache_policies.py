"""Cache policies: what a task's cache key is made of (Prefect's `prefect.cache_policies`).

`@task(cache_policy=INPUTS + TASK_SOURCE)` composes policies with `+` (NONE adds nothing; a
compound's key hashes the keys its policies give, leaving out those that give None);
`INPUTS - "client"` leaves an argument out (on any policy: an INPUTS that leaves it out is
added); `cache_key_fn=f` is the policy `CacheKeyFnPolicy(f)`. A key of None means "do not cache
this call". Policies compare by value, as Prefect's dataclasses. The engine only computes a key
for tasks whose results persist, so tasks without caching never pay for hashing.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
from collections.abc import Callable, Iterable
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


#: type -> a function giving what INPUTS hashes for a value of that type (Prefect's hook)
STABLE_TRANSFORMS: dict[type, Callable[[Any], Any]] = {}


class CachePolicy:
    """Base: `compute_key(task_ctx, inputs, flow_parameters)` gives the key or None. Policies
    compare by value (type and attributes), as Prefect's dataclasses do; written out by hand, as
    `@dataclass` would cost every `import jupyter_orch` a few hundred microseconds each."""

    def __init__(
        self, *, key_storage: Any = None, isolation_level: str | None = None, lock_manager: Any = None
    ) -> None:
        #: where the records of cached runs are written (`configure(key_storage=...)`): a path, an
        #: fsspec URL, a storage block or a saved storage's name; each names where its value is stored
        self.key_storage = key_storage
        #: `configure(isolation_level="SERIALIZABLE", lock_manager=...)`: runs of one key exclude each other
        self.isolation_level = isolation_level
        self.lock_manager = lock_manager

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        raise NotImplementedError

    @classmethod
    def from_cache_key_fn(cls, cache_key_fn: Callable[..., str | None]) -> CacheKeyFnPolicy:
        return CacheKeyFnPolicy(cache_key_fn=cache_key_fn)

    def configure(
        self, key_storage: Any = None, lock_manager: Any = None, isolation_level: Any = None
    ) -> CachePolicy:
        """A copy of this policy that writes the record of each cached run under its key in
        `key_storage` (a path, an fsspec URL, a storage block or a saved storage's name), as
        Prefect's result metadata: JSON naming where the value went (the task's result storage).
        The keys themselves live in the run database, shared by every process of an installation
        (a lookup is one indexed read). With `isolation_level="SERIALIZABLE"`, a run holds its
        cache key's lock in `lock_manager` (`jupyter_orch.locking`) while it runs."""
        configured = copy.copy(self)
        if key_storage is not None:
            configured.key_storage = str(key_storage) if isinstance(key_storage, os.PathLike) else key_storage
        if lock_manager is not None:
            configured.lock_manager = lock_manager
        if isolation_level is not None:
            configured.isolation_level = str(getattr(isolation_level, "value", isolation_level))
        return configured

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if isinstance(other, _None):  # adding NONE adds nothing
            return self
        return CompoundCachePolicy(policies=[self, other], **_merged_options(self, other))

    def __sub__(self, name: str) -> CachePolicy:
        """Leave the argument `name` out of the key: a no-op for a policy that reads no inputs."""
        if not isinstance(name, str):
            raise TypeError("Can only subtract strings from key policies.")
        return self


def _merged_options(one: CachePolicy, other: CachePolicy) -> dict[str, Any]:
    """The configuration of `one + other` (ValueError where both set one differently)."""
    merged: dict[str, Any] = {}
    for name, what in (
        ("key_storage", "storage locations"),
        ("isolation_level", "isolation levels"),
        ("lock_manager", "lock implementations"),
    ):
        mine, theirs = getattr(one, name), getattr(other, name)
        if mine is not None and theirs is not None and mine != theirs:
            raise ValueError(f"Cannot add CachePolicies with different {what}.")
        merged[name] = mine if mine is not None else theirs
    return merged


class CacheKeyFnPolicy(CachePolicy):
    """A user's `cache_key_fn(context, parameters)`."""

    def __init__(self, cache_key_fn: Callable[..., str | None] | None = None, **config: Any) -> None:
        super().__init__(**config)
        self.cache_key_fn = cache_key_fn

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return self.cache_key_fn(task_ctx, inputs) if self.cache_key_fn is not None else None


class CompoundCachePolicy(CachePolicy):
    """Several policies: the hash of the keys they give (None when none gives one). Nested
    compounds are flattened and its INPUTS policies merged into one (their exclusions joined)."""

    def __init__(self, policies: list[CachePolicy] | None = None, **config: Any) -> None:
        super().__init__(**config)
        nested = (p.policies if isinstance(p, CompoundCachePolicy) else [p] for p in policies or ())
        flat = [q for group in nested for q in group]
        inputs = [p for p in flat if isinstance(p, Inputs)]
        self.policies = [p for p in flat if not isinstance(p, Inputs)]
        if inputs:
            excluded = sorted({name for p in inputs for name in p.exclude})
            self.policies.append(inputs[0] if len(inputs) == 1 else Inputs(exclude=excluded))

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        keys = [policy.compute_key(task_ctx, inputs, flow_parameters, **kwargs) for policy in self.policies]
        keys = [key for key in keys if key is not None]
        return hash_objects(*keys) if keys else None

    def __repr__(self) -> str:
        return " + ".join(map(repr, self.policies)) or "CompoundCachePolicy(policies=[])"

    def __add__(self, other: CachePolicy) -> CachePolicy:
        if isinstance(other, _None):
            return self
        theirs = other.policies if isinstance(other, CompoundCachePolicy) else [other]
        return CompoundCachePolicy(policies=[*self.policies, *theirs], **_merged_options(self, other))

    def __sub__(self, name: str) -> CachePolicy:
        if not any(isinstance(p, Inputs) for p in self.policies):
            return super().__sub__(name)
        policies = [p - name if isinstance(p, Inputs) else p for p in self.policies]
        return CompoundCachePolicy(policies=policies, **_merged_options(self, CachePolicy()))


class _None(CachePolicy):
    """Never cache; adding it to a policy (or it to one) adds nothing."""

    def compute_key(self, *args: Any, **kwargs: Any) -> str | None:
        return None

    def __add__(self, other: CachePolicy) -> CachePolicy:
        return other

    def __repr__(self) -> str:
        return "NO_CACHE"


class TaskSource(CachePolicy):
    """The task function's source code (None when it cannot be read)."""

    def compute_key(self, task_ctx: Any, *args: Any, **kwargs: Any) -> str | None:
        if not task_ctx:
            return None
        task = task_ctx.task
        source = getattr(task, "source_code", None)  # Prefect's: stored where the source is gone
        if not isinstance(source, str):
            source = getattr(task, "source", None)  # a Task's own, read once
        if not isinstance(source, str):
            source = _source_or_none(task)
        return hash_objects(source) if source is not None else None

    def __repr__(self) -> str:
        return "TASK_SOURCE"


def _source_or_none(task: Any) -> Any:
    """`inspect.getsource` of a task that keeps no source text (None when there is none)."""
    try:
        return inspect.getsource(task)
    except TypeError:
        try:
            return inspect.getsource(task.fn.__class__)
        except (TypeError, AttributeError, OSError):
            return None
    except OSError as exc:
        code = getattr(getattr(task, "fn", None), "__code__", None)
        if "source code" in str(exc) and code is not None:
            return code.co_code.hex()
        return None


class FlowParameters(CachePolicy):
    """The parameters of the flow run the task runs in (None outside one)."""

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        return hash_objects(flow_parameters) if flow_parameters else None

    def __repr__(self) -> str:
        return "FLOW_PARAMETERS"


class RunId(CachePolicy):
    """The flow run's id (a task outside any flow: its own task run's id)."""

    def compute_key(self, task_ctx: Any, *args: Any, **kwargs: Any) -> str | None:
        if not task_ctx:
            return None
        if hasattr(task_ctx, "task_run_id"):  # the engine's context: no view of the run needed
            return str(task_ctx.flow_run_id or task_ctx.task_run_id)
        run = task_ctx.task_run
        return str(run.flow_run_id if run.flow_run_id is not None else run.id)

    def __repr__(self) -> str:
        return "RUN_ID"


class Inputs(CachePolicy):
    """The task's arguments, except those named in `exclude` (None when it has none)."""

    def __init__(self, exclude: Iterable[str] = (), **config: Any) -> None:
        super().__init__(**config)
        self.exclude = list(exclude)

    def compute_key(
        self, task_ctx: Any, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str | None:
        if not inputs:
            return None
        kept = {}
        for name, value in inputs.items():
            if name not in self.exclude:
                transform = STABLE_TRANSFORMS.get(type(value))
                kept[name] = transform(value) if transform is not None else value
        return hash_objects(kept)

    def __sub__(self, name: str) -> CachePolicy:
        if not isinstance(name, str):
            raise TypeError("Can only subtract strings from key policies.")
        return Inputs(exclude=[*self.exclude, name])

    def __repr__(self) -> str:
        return f"INPUTS - {self.exclude}" if self.exclude else "INPUTS"


NO_CACHE = _None()
#: Prefect's name for NO_CACHE
NONE = NO_CACHE
INPUTS = Inputs()
TASK_SOURCE = TaskSource()
FLOW_PARAMETERS = FlowParameters()
RUN_ID = RunId()
#: Prefect's default: the same inputs to the same code within one flow run
DEFAULT = INPUTS + TASK_SOURCE + RUN_ID

__all__ = [
    "DEFAULT",
    "FLOW_PARAMETERS",
    "INPUTS",
    "NONE",
    "NO_CACHE",
    "RUN_ID",
    "STABLE_TRANSFORMS",
    "TASK_SOURCE",
    "CacheKeyFnPolicy",
    "CachePolicy",
    "CompoundCachePolicy",
    "FlowParameters",
    "Inputs",
    "RunId",
    "TaskSource",
    "hash_objects",
]
