"""Wrappers that change how the engine treats a task argument, with Prefect's names.

- `unmapped(x)`: passed whole to every run of `Task.map` instead of being iterated.
- `allow_failure(future)`: the downstream run starts even if that upstream run failed; it
  receives the upstream exception as the value.
- `quote(x)`: passed as is: futures or states inside it are not resolved (and large
  collections are not walked).

They live in the core, below the engine (no imports), so any layer can recognise them;
`jupyter_orch.annotations` hands them on under Prefect's module path.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class BaseAnnotation(Generic[T]):
    """A value wrapped to tell the engine how to treat it; `unwrap()` gives the value back."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def unwrap(self) -> T:
        return self.value

    def rewrap(self, value: T) -> BaseAnnotation[T]:
        """The same kind of annotation around another value (`Task.map` per element)."""
        return type(self)(value)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.value == other.value  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), id(self.value)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class unmapped(BaseAnnotation[T]):  # noqa: N801 - Prefect's name
    """An argument of `Task.map` passed whole to every mapped run."""

    __slots__ = ()

    def __getitem__(self, _index: int) -> T:
        return self.value


class allow_failure(BaseAnnotation[T]):  # noqa: N801 - Prefect's name
    """An upstream future (or state) whose failure must not stop the downstream run."""

    __slots__ = ()


class quote(BaseAnnotation[T]):  # noqa: N801 - Prefect's name
    """An argument passed exactly as given: nothing inside it is resolved."""

    __slots__ = ()

    def unquote(self) -> T:
        return self.value


class opaque(BaseAnnotation[T]):  # noqa: N801 - Prefect's name
    """An argument whose future (or state) is resolved, but whose value is passed as it is: its
    contents are not searched for futures nor rebuilt (a dataclass's `__post_init__` not rerun)."""

    __slots__ = ()


class mapped_item(BaseAnnotation[T]):  # noqa: N801 - beside Prefect's annotation names
    """One element of a mapped future's (or state's) result (`Task.map`): the run given it records
    the run that produced the whole (`source`, its id) as its upstream, as Prefect's do."""

    __slots__ = ("source",)

    def __init__(self, value: T, source: str) -> None:
        super().__init__(value)
        self.source = source

    def rewrap(self, value: T) -> BaseAnnotation[T]:
        return type(self)(value, self.source)


class NotSet:
    """Sentinel for "no value given" where None is a meaningful value."""


__all__ = ["BaseAnnotation", "NotSet", "allow_failure", "mapped_item", "opaque", "quote", "unmapped"]
