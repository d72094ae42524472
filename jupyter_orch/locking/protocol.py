"""What a lock manager offers (Prefect's `LockManager` protocol)."""

from __future__ import annotations

from typing import Protocol


class LockManager(Protocol):
    def acquire_lock(
        self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
    ) -> bool: ...

    def release_lock(self, key: str, holder: str) -> None: ...

    def is_locked(self, key: str) -> bool: ...

    def is_lock_holder(self, key: str, holder: str) -> bool: ...

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool: ...
