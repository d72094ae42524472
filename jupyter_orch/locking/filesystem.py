"""`FileSystemLockManager`: a lock is the file `<key>.lock` in a directory, created exclusively
(so processes on one machine exclude each other); it records its holder and expiry."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class FileSystemLockManager:
    """Locks as files in `lock_files_directory`."""

    def __init__(self, lock_files_directory: str | os.PathLike[str]) -> None:
        self.lock_files_directory = Path(lock_files_directory).expanduser()

    def _path(self, key: str) -> Path:
        return self.lock_files_directory / f"{key}.lock"

    def _read(self, key: str) -> tuple[str, float | None] | None:
        try:
            info = json.loads(self._path(key).read_text())
        except (FileNotFoundError, ValueError):
            return None
        expires = info.get("expires")
        if expires is not None and time.time() >= expires:
            self._path(key).unlink(missing_ok=True)
            return None
        return info.get("holder", ""), expires

    def acquire_lock(
        self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
    ) -> bool:
        """Create `<key>.lock` for `holder` (already its holder: renewed); False after `acquire_timeout`."""
        self.lock_files_directory.mkdir(parents=True, exist_ok=True)
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        body = json.dumps(
            {"holder": holder, "expires": None if hold_timeout is None else time.time() + hold_timeout}
        )
        while True:
            current = self._read(key)
            if current is not None and current[0] == holder:
                self._path(key).write_text(body)
                return True
            if current is None:
                try:
                    with open(self._path(key), "x") as f:
                        f.write(body)
                    return True
                except FileExistsError:
                    pass
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def release_lock(self, key: str, holder: str) -> None:
        current = self._read(key)
        if current is None or current[0] != holder:
            raise ValueError(f"No lock held by {holder} for transaction with key {key}")
        self._path(key).unlink(missing_ok=True)

    def is_locked(self, key: str) -> bool:
        return self._read(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        current = self._read(key)
        return current is not None and current[0] == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.is_locked(key):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True
