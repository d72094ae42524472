"""Values made of named fields that task arguments may hold futures in: dataclasses, named tuples
and pydantic models. Prefect resolves the futures inside them and rebuilds the value only when a
field changed (`dataclasses.replace`, which reruns `__post_init__`; `model_construct` for pydantic,
which skips validation)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


def record_fields(value: Any) -> dict[str, Any] | None:
    """The fields of a dataclass instance, named tuple or pydantic model (by name); None for any
    other value (cheap: three attribute checks on its type)."""
    cls = type(value)
    if hasattr(cls, "__dataclass_fields__"):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, tuple) and hasattr(cls, "_fields"):
        return dict(zip(cls._fields, value, strict=True))
    if hasattr(cls, "model_fields") and hasattr(cls, "model_construct"):
        return {name: getattr(value, name) for name in cls.model_fields}
    return None


def rebuild(value: Any, fields: dict[str, Any], fn: Callable[[Any], Any]) -> Any:
    """`value` with `fn` applied to each of its `fields`; the value itself when none changed."""
    new = {name: fn(v) for name, v in fields.items()}
    if all(new[name] is v for name, v in fields.items()):
        return value
    if isinstance(value, tuple):
        return type(value)(**new)
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(value, **new)
    return type(value).model_construct(**new)


__all__ = ["rebuild", "record_fields"]
