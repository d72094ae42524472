"""Flows and tasks on methods: what an attribute access binds as the first argument (the
instance, the class under `classmethod`, nothing under `staticmethod`), whichever order the
decorators were stacked in."""

from __future__ import annotations

from typing import Any

#: a task or flow not accessed through an instance or class (not a method call)
NOT_BOUND: Any = object()


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
