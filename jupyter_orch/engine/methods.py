"""What `Flow` and `Task` share as decorated functions: their hooks (as options and as
decorators), `with_options` copies, and flows and tasks on methods: what an attribute access binds
as the first argument (the instance, the class under `classmethod`, nothing under `staticmethod`)."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

from jupyter_orch.engine.hooks import hook_list

#: a task or flow not accessed through an instance or class (not a method call)
NOT_BOUND: Any = object()

#: "not given" in with_options (None is a value some options take)
UNSET: Any = object()


def unwrap_method(fn: Any) -> tuple[Any, str | None]:
    """`@flow` / `@task` over a `classmethod` or `staticmethod` (Prefect's order): the function
    inside, and which of the two it was (what `__get__` binds: the class, or nothing)."""
    if isinstance(fn, classmethod):
        return fn.__func__, "classmethod"
    if isinstance(fn, staticmethod):
        return fn.__func__, "staticmethod"
    return fn, None


def bind_target(kind: str | None, instance: Any, owner: Any) -> Any:
    """What a task or flow accessed as an attribute passes as its first argument (NOT_BOUND: none)."""
    if kind == "staticmethod":
        return NOT_BOUND
    if kind == "classmethod":
        return owner if owner is not None else type(instance)
    return NOT_BOUND if instance is None else instance


def given(arguments: dict[str, Any]) -> dict[str, Any]:
    """A `with_options(...)` call's `locals()`: the options it was given."""
    return {k: v for k, v in arguments.items() if k != "self" and v is not UNSET}


class Decorated:
    """The base of `Flow` and `Task`: `fn` (unwrapped from a classmethod or staticmethod), the hook
    lists by kind (`hooks`), the hook decorators (`@my_task.on_failure`), copies with changed
    options, and binding on attribute access."""

    _bound_to: Any = NOT_BOUND
    hooks: dict[str, list[Callable[..., Any]]]

    def _unwrap(self, fn: Any, what: str) -> Any:
        fn, self._method_kind = unwrap_method(fn)
        if not callable(fn):
            raise TypeError(f"@{what} decorates a function")
        self.fn = fn
        return fn

    def _set_hooks(self, **hooks: Any) -> None:
        """`hooks[kind]`, also as Prefect's attributes `on_completion_hooks`, ... (the same lists)."""
        owner = "task" if type(self).__name__ == "Task" else "flow"
        self.hooks = {kind: hook_list(kind, value, owner) for kind, value in hooks.items()}
        for kind, hook_fns in self.hooks.items():
            setattr(self, f"{kind}_hooks", hook_fns)

    def _add_hook(self, kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.hooks[kind].append(fn)
        return fn

    # -- hooks as decorators: @my_flow.on_failure, @my_task.on_completion ------------------------
    def on_completion(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_completion", fn)

    def on_failure(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_failure", fn)

    def on_running(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self._add_hook("on_running", fn)

    #: options kept in an attribute of another name (option -> attribute)
    _option_attributes: dict[str, str] = {}

    def options(self) -> dict[str, Any]:
        """Every option this was made with (what `with_options` starts from): each parameter of
        `__init__` after `fn`, from the attribute of its name; hooks as copies of their lists."""
        names = list(inspect.signature(type(self).__init__).parameters)[2:]
        attrs = self._option_attributes
        out = {name: getattr(self, attrs.get(name, name)) for name in names if name not in self.hooks}
        out.update((kind, list(hooks)) for kind, hooks in self.hooks.items())
        return out

    def _copy_with(self, changes: dict[str, Any]) -> Any:
        """A copy made with this one's options, `changes` applied, bound as this one is."""
        options = self.options()
        options.update(changes)
        copied = type(self)(self.fn, **options)  # type: ignore[call-arg]
        copied._method_kind, copied._bound_to = self._method_kind, self._bound_to
        return copied

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """`obj.my_task` (and `Cls.my_task` under `@classmethod`): a copy that passes `obj` (or
        `Cls`) as the first argument, as Prefect's flows and tasks on methods do; a flow run's
        recorded parameters leave it out."""
        target = bind_target(self._method_kind, instance, owner)
        if target is NOT_BOUND:
            return self
        bound = copy.copy(self)
        bound._bound_to = target
        return bound


def decorator(cls: type, fn: Any, options: dict[str, Any]) -> Any:
    """`@flow` / `@task` (an instance of `cls`) and `@flow(...)` / `@task(...)` (a decorator).

    Stacked over `@classmethod` / `@staticmethod` the decorator is refused, as Prefect's is (they
    go on top of it); `Flow(classmethod(fn))` / `Task(...)` built directly still take them."""

    def make(fn: Any) -> Any:
        if isinstance(fn, (classmethod, staticmethod)):
            raise TypeError(f"@{type(fn).__name__} should be applied on top of @{cls.__name__.lower()}")
        return cls(fn, **options)

    return make if fn is None else make(fn)


def decorator_signature(with_options: Any, extra: tuple[str, ...]) -> inspect.Signature:
    """The signature `@task` / `@flow` show (`inspect.signature(task)`, as Prefect's decorators
    list their options): the function, then the options of `with_options` and `extra`."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    names = [*extra, *(n for n in inspect.signature(with_options).parameters if n != "self")]
    fn = inspect.Parameter("__fn", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
    return inspect.Signature([fn, *(inspect.Parameter(n, keyword, default=None) for n in names)])
