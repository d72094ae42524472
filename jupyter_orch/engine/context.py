"""What the engine knows about the run being executed, carried in context variables so that
threads started with a copied context (submitted tasks, timeouts) and asyncio tasks see it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from jupyter_orch.concurrency import slots
from jupyter_orch.engine.hooks import flow_run_view, task_run_view
from jupyter_orch.exceptions import MissingContextError

if TYPE_CHECKING:
    from jupyter_orch.client import OrchClient


class RunsTasks(Protocol):
    """What the engine asks of a flow run's task runner (`task_runners.TaskRunner`, which stands
    above: a runner reads the context it submits in)."""

    def submit_engine(self, engine: Any) -> Any: ...

    def shutdown(self, wait: bool = True) -> None: ...


flow_run_ctx: ContextVar[FlowRunContext | None] = ContextVar("jupyter_orch_flow_run", default=None)


def _known_limited_tags() -> frozenset[str] | None:
    """The flow run's limited tags, read once at its start (None outside a flow run)."""
    ctx = flow_run_ctx.get()
    return ctx.limited_tags if ctx is not None else None


slots.use_known_limited(_known_limited_tags)  # tag-slot checks inside a flow never ask the database
task_run_ctx: ContextVar[TaskRunContext | None] = ContextVar("jupyter_orch_task_run", default=None)


class _RunContext:
    """`FlowRunContext.get()` / `TaskRunContext.get()`: the run of that kind in progress here, or
    None (Prefect's), from the context variable `_var`."""

    _var: ClassVar[ContextVar[Any]]

    @classmethod
    def get(cls) -> Self | None:
        return cls._var.get()

    def __enter__(self) -> Self:
        """`with ctx:` makes it the run in progress here until the block ends (Prefect's too)."""
        self._token = self._var.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._var.reset(self._token)



def _trackable(value: Any) -> bool:
    """Whether a returned value can be linked by identity (not one Python shares between uses)."""
    if value is None or value is True or value is False or value is Ellipsis or value is NotImplemented:
        return False
    return not (type(value) is int and -5 <= value <= 256)

@dataclass
class FlowRunContext(_RunContext):
    """The flow run in progress: where its records go and how its tasks are run."""

    _var = flow_run_ctx

    flow: Any
    flow_run_id: str
    flow_run_name: str
    client: OrchClient
    task_runner: RunsTasks
    log_prints: bool = False
    persist_result: bool | None = None
    #: tags that carry a concurrency limit, read once per flow run (not per task)
    limited_tags: frozenset[str] = frozenset()
    #: async flows await their async tasks; sync ones block on them
    is_async: bool = False
    #: the flow run's parameters (the FLOW_PARAMETERS cache policy, templates)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: the engine running this flow run (what `flow_run` describes)
    engine: Any = None
    _counters: dict[str, itertools.count] = field(default_factory=dict)
    #: id(value) -> (value, task run id) for values task runs of this flow run returned, so a later
    #: task given that value records a data edge (the value is held so its id is not reused)
    results: dict[int, tuple[Any, str]] = field(default_factory=dict)

    def link_result(self, value: Any, task_run_id: str) -> None:
        """Remember that `task_run_id` returned `value` and, as Prefect's, each item of a list,
        tuple or set it returned (a dict: its values), so an unpacked item passed on links too.
        Values whose identity is shared are skipped: None, booleans, Ellipsis, NotImplemented and
        the small integers Python keeps one copy of."""
        results = self.results
        if _trackable(value):
            results[id(value)] = (value, task_run_id)
        cls = type(value)
        if cls is list or cls is tuple or cls is set:
            items: Any = value
        elif cls is dict:
            items = value.values()
        else:
            return
        for item in items:
            if _trackable(item):
                results[id(item)] = (item, task_run_id)

    #: the run description a context made by `model_construct` was given (no engine runs it)
    _given_run: Any = field(default=None, repr=False)

    @classmethod
    def model_construct(
        cls,
        flow_run: Any = None,
        flow: Any = None,
        client: Any = None,
        task_runner: Any = None,
        **fields: Any,
    ) -> Self:
        """A context for a flow run described by `flow_run` (Prefect's way to set one up in tests
        and tools: `with FlowRunContext.model_construct(flow_run=run, flow=f): ...`); fields
        not given are left empty."""
        run_id = getattr(flow_run, "id", None)
        ctx = cls(
            flow=flow,
            flow_run_id=None if run_id is None else str(run_id),  # type: ignore[arg-type]
            flow_run_name=getattr(flow_run, "name", None),  # type: ignore[arg-type]
            client=client,  # type: ignore[arg-type]
            task_runner=task_runner,  # type: ignore[arg-type]
            **_known_fields(cls, fields),
        )
        ctx._given_run = flow_run
        return ctx

    @property
    def flow_run(self) -> Any:
        """The flow run as Prefect's context shows it (id, name, parameters, tags, ...)."""
        return self._given_run if self.engine is None else flow_run_view(self.engine)

    def next_dynamic_key(self, task_key: str) -> int:
        """0, 1, 2... per task within this flow run (thread-safe: `next(count)` is atomic)."""
        counter = self._counters.get(task_key)
        if counter is None:
            counter = self._counters.setdefault(task_key, itertools.count())
        return next(counter)


@dataclass
class TaskRunContext(_RunContext):
    """The task run in progress (what `cache_key_fn(context, parameters)` receives)."""

    _var = task_run_ctx

    task: Any
    task_run_id: str
    task_run_name: str
    flow_run_id: str | None
    parameters: dict[str, Any]
    log_prints: bool = False
    #: the engine running this task run (what `task_run` describes)
    engine: Any = None

    #: the run description a context made by `model_construct` was given (no engine runs it)
    _given_run: Any = field(default=None, repr=False)

    @classmethod
    def model_construct(cls, task_run: Any = None, task: Any = None, **fields: Any) -> Self:
        """A context for a task run described by `task_run` (Prefect's, as `FlowRunContext`'s)."""
        run_id = getattr(task_run, "id", None)
        flow_run_id = getattr(task_run, "flow_run_id", None)
        ctx = cls(
            task=task,
            task_run_id=None if run_id is None else str(run_id),  # type: ignore[arg-type]
            task_run_name=getattr(task_run, "name", None),  # type: ignore[arg-type]
            flow_run_id=None if flow_run_id is None else str(flow_run_id),
            parameters=fields.pop("parameters", None) or {},
            **_known_fields(cls, fields),
        )
        ctx._given_run = task_run
        return ctx

    @property
    def task_run(self) -> Any:
        """The task run as Prefect's context shows it (id, name, flow_run_id, run_count, ...)."""
        return self._given_run if self.engine is None else task_run_view(self.engine)

    @property
    def start_time(self) -> Any:
        """When the current attempt started (its Running or Retrying state's timestamp)."""
        state = getattr(self.engine, "state", None)
        return state.timestamp if state is not None else None


def _known_fields(cls: type, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of `cls` among `fields` (Prefect's contexts have more: those are dropped)."""
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {name: value for name, value in fields.items() if name in names and not name.startswith("_")}


#: the tags of `with tags(...)` blocks around this point (merged into runs created here)
tags_ctx: ContextVar[frozenset[str]] = ContextVar("jupyter_orch_tags", default=frozenset())


@contextmanager
def tags(*new_tags: str) -> Iterator[set[str]]:
    """`with tags("a", "b"):` — flow and task runs created inside carry these tags too (blocks
    nest, their tags add up); yields the tags now in effect."""
    current = tags_ctx.get() | frozenset(new_tags)
    token = tags_ctx.set(current)
    try:
        yield set(current)
    finally:
        tags_ctx.reset(token)


class TagsContext:
    """Prefect's `TagsContext`: `TagsContext.get().current_tags`."""

    def __init__(self, current_tags: set[str]) -> None:
        self.current_tags = current_tags

    @classmethod
    def get(cls) -> TagsContext:
        return cls(set(tags_ctx.get()))


def get_run_context() -> TaskRunContext | FlowRunContext:
    """The innermost run: the task run if one is executing, else the flow run."""
    ctx = task_run_ctx.get() or flow_run_ctx.get()
    if ctx is None:
        raise MissingContextError(
            "No run context available: there is no active flow or task run context (you are not in a flow"
            " or task run)."
        )
    return ctx


def parent_task_input(flow_run_id: str | None) -> dict[str, Any]:
    """Prefect's `__parents__` input of a task run called inside another task run of the same
    flow run (a subflow's tasks have none), else nothing."""
    parent = task_run_ctx.get()
    if parent is None or parent.flow_run_id != flow_run_id:
        return {}
    return {"__parents__": [{"input_type": "task_run", "id": parent.task_run_id}]}
