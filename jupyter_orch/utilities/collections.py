"""Prefect's `prefect.utilities.collections` helpers users reach for: flat dicts keyed by tuples
of keys and back, `listrepr`, `AutoEnum`, `quote` (a value passed to a task untouched) and
`visit_collection` over the containers a task argument may be."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jupyter_orch.annotations import BaseAnnotation, quote
from jupyter_orch.enums import AutoEnum


def dict_to_flatdict(dct: Mapping[Any, Any], _parent: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    """{"a": {"b": 1}} -> {("a", "b"): 1}."""
    flat: dict[tuple[Any, ...], Any] = {}
    for key, value in dct.items():
        path = (*_parent, key)
        if isinstance(value, Mapping) and value:
            flat.update(dict_to_flatdict(value, path))
        else:
            flat[path] = value
    return flat


def flatdict_to_dict(dct: Mapping[Any, Any]) -> dict[Any, Any]:
    """{("a", "b"): 1} -> {"a": {"b": 1}} (a key that is no tuple stays a top-level key)."""
    nested: dict[Any, Any] = {}
    for key, value in dct.items():
        path = key if isinstance(key, tuple) else (key,)
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return nested


def listrepr(objs: Iterable[Any], sep: str = " ") -> str:
    return sep.join(repr(o) for o in objs)


def visit_collection(expr: Any, visit_fn: Callable[[Any], Any], return_data: bool = False) -> Any:
    """Call `visit_fn` on `expr` and on everything inside its lists, tuples, sets, dicts (keys
    and values), dataclasses and annotations; with `return_data`, a copy of `expr` rebuilt from
    what `visit_fn` answered."""
    result = visit_fn(expr)
    expr = result if return_data else expr
    children = _rebuild(expr, lambda item: visit_collection(item, visit_fn, return_data))
    return children if return_data else None


def _rebuild(expr: Any, visit: Callable[[Any], Any]) -> Any:
    if isinstance(expr, (list, tuple, set, frozenset)):
        items = [visit(item) for item in expr]
        return type(expr)(items) if not hasattr(expr, "_fields") else type(expr)(*items)
    if isinstance(expr, dict):
        return type(expr)((visit(k), visit(v)) for k, v in expr.items())
    if dataclasses.is_dataclass(expr) and not isinstance(expr, type):
        values = {f.name: visit(getattr(expr, f.name)) for f in dataclasses.fields(expr) if f.init}
        return type(expr)(**values)
    if isinstance(expr, BaseAnnotation):
        return type(expr)(visit(expr.unwrap()))
    return expr


__all__ = ["AutoEnum", "dict_to_flatdict", "flatdict_to_dict", "listrepr", "quote", "visit_collection"]
