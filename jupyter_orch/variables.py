"""Variables: named JSON values flows read at run time, as Prefect's `prefect.variables.Variable`.

Variable.set("batch_size", 500, overwrite=True)
Variable.get("batch_size", default=100)

As Prefect's, `get` / `set` / `unset` called from an `async def` body answer an awaitable (the
`a`-prefixed methods), so `await Variable.get(...)` in an async flow works; `_sync=True` opts out.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field

from jupyter_orch.client import ApiError
from jupyter_orch.config_client import call, deleted, read_or_none
from jupyter_orch.coroutines import called_from_coroutine

__all__ = ["Variable"]


class Variable(BaseModel):
    """A variable as stored: its name, JSON value and tags."""

    name: str = Field(min_length=1, max_length=255)
    value: Any = None
    tags: list[str] = Field(default_factory=list)

    @classmethod
    def set(
        cls,
        name: str,
        value: Any,
        tags: list[str] | None = None,
        overwrite: bool = False,
        _sync: bool = False,
    ) -> Variable:
        """Create the variable; with `overwrite`, replace an existing one (else a ValueError)."""
        if not _sync and called_from_coroutine():
            return cls.aset(name, value, tags, overwrite)  # type: ignore[return-value]  # to be awaited
        body = {"name": name, "value": value, "tags": tags or [], "overwrite": overwrite}
        try:
            row = call("POST", "variables", body)
        except ApiError as exc:
            if exc.status == 409:
                raise ValueError(
                    f"Variable {name!r} already exists. Use `overwrite=True` to update it."
                ) from None
            if exc.status == 422:
                raise ValueError(exc.message) from None
            raise
        return cls(name=row["name"], value=row["value"], tags=row["tags"] or [])

    @classmethod
    def get(cls, name: str, default: Any = None, _sync: bool = False) -> Any:
        """The variable's value, or `default` when there is none by that name."""
        if not _sync and called_from_coroutine():
            return cls.aget(name, default)
        row = read_or_none("GET", f"variables/name/{name}")
        return default if row is None else row["value"]

    @classmethod
    def unset(cls, name: str, _sync: bool = False) -> bool:
        """Delete the variable; False when there was none."""
        if not _sync and called_from_coroutine():
            return cls.aunset(name)  # type: ignore[return-value]  # to be awaited
        return deleted(f"variables/name/{name}")

    @classmethod
    async def aset(
        cls, name: str, value: Any, tags: list[str] | None = None, overwrite: bool = False
    ) -> Variable:
        return await asyncio.to_thread(cls.set, name, value, tags, overwrite, _sync=True)

    @classmethod
    async def aget(cls, name: str, default: Any = None) -> Any:
        return await asyncio.to_thread(cls.get, name, default, _sync=True)

    @classmethod
    async def aunset(cls, name: str) -> bool:
        return await asyncio.to_thread(cls.unset, name, _sync=True)
