"""Enums whose values are their members' names, as Prefect's `AutoEnum`: in the core so that
modules below the engine (transactions, which the engine imports) can declare theirs with it;
`jupyter_orch.utilities.collections` hands it on under Prefect's path."""

from __future__ import annotations

import enum
from typing import Any


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


__all__ = ["AutoEnum"]
