"""Prefect's `prefect.utilities.collections` helpers users reach for: flat dicts keyed by tuples
of keys and back, `listrepr`, and `AutoEnum`."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any


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


class AutoEnum(str, enum.Enum):
    """An enum whose `auto()` values are the member names."""

    @staticmethod
    def _generate_next_value_(name: str, *_: Any) -> str:
        return name

    @staticmethod
    def auto() -> Any:
        return enum.auto()

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.value}"


__all__ = ["AutoEnum", "dict_to_flatdict", "flatdict_to_dict", "listrepr"]
