"""Where results and notebook outputs are written: a local path, an fsspec URL, or the name of a
storage configuration saved with `jupyter orch storage create` (or a filesystem's `.save(name)`).

`resolve_storage("lake")` → the saved URL opened with its options and credentials; a path or URL
is opened as it is. A name is a bare word (letters, numbers, - and _); anything with a `/`, a
`.` or `://` is a path or URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jupyter_orch.client import ApiError
from jupyter_orch.config_client import call
from jupyter_orch.settings import get_settings

NAME = re.compile(r"^[a-z0-9_-]{1,255}$")
_SAVED: dict[tuple[str, str], StorageLocation | None] = {}


@dataclass
class StorageLocation:
    """An fsspec URL or local path, with the options its filesystem is opened with."""

    url: str
    options: dict[str, Any] = field(default_factory=dict)

    def filesystem(self) -> tuple[Any, str]:
        """(fsspec filesystem, root path inside it)."""
        from fsspec.core import url_to_fs  # fsspec is imported only when storage is used

        return url_to_fs(self.url, **self.options)

    def join(self, key: str) -> str:
        return f"{self.url.rstrip('/')}/{key.lstrip('/')}"


def is_name(value: str) -> bool:
    return bool(NAME.match(value))


def load_storage(name: str) -> StorageLocation:
    """The storage configuration saved as `name` (credentials decrypted for this process only)."""
    try:
        found = call("POST", f"storage/name/{name}/reveal")
    except ApiError as exc:
        if exc.status == 404:
            raise ValueError(
                f"no storage configuration named {name!r} (see `jupyter orch storage ls`)"
            ) from None
        raise
    return StorageLocation(found["url"], {**(found.get("options") or {}), **(found.get("credentials") or {})})


def saved_or_none(name: str) -> StorageLocation | None:
    """The configuration saved as `name`, or None when `name` is no saved configuration's (then a
    `result_storage` of that name is a relative path): the lookup `jupyter_orch.results` uses,
    once per process, server (or database) and name."""
    if not is_name(name):
        return None
    settings = get_settings()
    where = (settings.api_url or settings.database_url, name)
    if where not in _SAVED:
        try:
            _SAVED[where] = load_storage(name)
        except ValueError:  # no configuration by that name: a relative path
            _SAVED[where] = None
    return _SAVED[where]


def resolve_storage(value: str | StorageLocation) -> StorageLocation:
    """A saved configuration's location for a bare name; a path or URL as it is."""
    if isinstance(value, StorageLocation):
        return value
    return load_storage(value) if is_name(value) else StorageLocation(value)
