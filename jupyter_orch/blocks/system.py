"""`Secret`: a value stored encrypted at rest, as Prefect's `prefect.blocks.system.Secret`.

    Secret(value="sk-...").save("openai-key", overwrite=True)
    Secret.load("openai-key").get()

The value is never logged, listed or shown: `repr` and `str` mask it, the API's listings hold
names only, and it is read back by name through an explicit route.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, SecretStr, field_serializer

from jupyter_orch.client import ApiError
from jupyter_orch.config_client import call, deleted

__all__ = ["Secret"]


class Secret(BaseModel):
    """A secret string (or JSON value); `.get()` returns it in clear."""

    value: SecretStr | dict[str, Any] | list[Any] | int | float | bool

    @field_serializer("value")
    def _mask(self, value: Any) -> Any:
        return "**********"

    def get(self) -> Any:
        value = self.value
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def __repr__(self) -> str:
        return "Secret(value='**********')"

    __str__ = __repr__

    def save(self, name: str, overwrite: bool = False) -> str:
        """Store the secret under `name`; a ValueError if it exists and `overwrite` is False."""
        try:
            row = call("POST", "secrets", {"name": name, "value": self.get(), "overwrite": overwrite})
        except ApiError as exc:
            if exc.status in (409, 422):
                raise ValueError(exc.message) from None
            raise
        return row["id"]

    @classmethod
    def load(cls, name: str) -> Secret:
        """The secret saved under `name`; a ValueError naming it when there is none."""
        try:
            found = call("POST", f"secrets/name/{name}/reveal")
        except ApiError as exc:
            if exc.status in (404, 422):
                raise ValueError(f"Unable to find secret {name!r}: {exc.message}") from None
            raise
        return cls(value=found["value"])

    @classmethod
    def delete(cls, name: str) -> bool:
        return deleted(f"secrets/name/{name}")

    async def asave(self, name: str, overwrite: bool = False) -> str:
        return await asyncio.to_thread(self.save, name, overwrite)

    @classmethod
    async def aload(cls, name: str) -> Secret:
        return await asyncio.to_thread(cls.load, name)
