"""Filesystems under Prefect's names (`prefect.filesystems`): a base path, local or any fsspec URL,
that can be saved by name and used as `result_storage="name"` or as notebook output storage.

    RemoteFileSystem(basepath="s3://bucket/results", settings={"key": ..., "secret": ...}).save("lake")
    LocalFileSystem(basepath="/data/results").save("local-results")

`settings` are saved encrypted (they usually hold credentials), like a Secret.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from jupyter_orch.client import ApiError
from jupyter_orch.config_client import call
from jupyter_orch.coroutines import as_awaitable, called_from_coroutine
from jupyter_orch.storage import StorageLocation, load_storage

__all__ = ["LocalFileSystem", "RemoteFileSystem"]


def _answer(value: Any, _sync: bool | None) -> Any:
    """`value`, or an awaitable of it in a coroutine (Prefect's sync-compatible methods)."""
    return value if _sync or not called_from_coroutine(3) else as_awaitable(value)  # 3: the method's caller


class _FileSystem(BaseModel):
    basepath: str | None = None

    @field_validator("basepath", mode="before")
    @classmethod
    def _path_as_text(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    def _location(self) -> StorageLocation:
        raise NotImplementedError

    def _full(self, path: str) -> tuple[Any, str]:
        fs, root = self._location().filesystem()
        return fs, f"{root.rstrip('/')}/{path.lstrip('/')}" if root else path

    def _resolve_path(self, path: str) -> str:
        """Where `path` is in this file system (Prefect's name, which its tests use)."""
        return self._full(path)[1]

    def read_path(self, path: str, _sync: bool | None = None) -> Any:
        """The file's bytes; a missing one is a ValueError "does not exist" (Prefect's). Awaitable
        when called from a coroutine, as Prefect's (`_sync=True`: the bytes there too)."""
        fs, full = self._full(path)
        try:
            with fs.open(full, "rb") as f:
                content = f.read()
        except FileNotFoundError:
            raise ValueError(f"Path {full} does not exist.") from None
        return _answer(content, _sync)

    def write_path(self, path: str, content: bytes, _sync: bool | None = None) -> Any:
        """Write the file (its folders made); its full path, awaitable as `read_path`'s answer."""
        fs, full = self._full(path)
        parent = full.rsplit("/", 1)[0]
        if parent and parent != full:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(full, "wb") as f:
            f.write(content)
        return _answer(full, _sync)

    def save(self, name: str, overwrite: bool = False, _sync: bool | None = None) -> Any:
        """Save as a storage configuration named `name`; a ValueError if it exists. Its id;
        awaitable when called from a coroutine (as Prefect's `await block.save(...)`)."""
        return _answer(self._save(name, overwrite), _sync)

    def _save(self, name: str, overwrite: bool) -> str:
        loc = self._location()
        body = {"name": name, "url": loc.url, "credentials": loc.options, "overwrite": overwrite}
        try:
            return call("POST", "storage", body)["id"]
        except ApiError as exc:
            if exc.status in (409, 422):
                raise ValueError(exc.message) from None
            raise

    async def asave(self, name: str, overwrite: bool = False) -> str:
        return await asyncio.to_thread(self.save, name, overwrite)


class LocalFileSystem(_FileSystem):
    """A directory on this machine (relative paths are taken from the current directory)."""

    def _location(self) -> StorageLocation:
        return StorageLocation(str(Path(self.basepath or ".").expanduser().resolve()))

    @classmethod
    def load(cls, name: str) -> LocalFileSystem:
        return cls(basepath=load_storage(name).url)


class RemoteFileSystem(_FileSystem):
    """Any fsspec URL (`s3://`, `gcs://`, `memory://`, ...) with the options it is opened with."""

    basepath: str
    settings: dict[str, Any] = Field(default_factory=dict)

    def _location(self) -> StorageLocation:
        return StorageLocation(self.basepath, dict(self.settings))

    @classmethod
    def load(cls, name: str) -> RemoteFileSystem:
        loc = load_storage(name)
        return cls(basepath=loc.url, settings=loc.options)
