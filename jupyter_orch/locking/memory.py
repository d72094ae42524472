"""`MemoryLockManager`: named locks held by a holder in this process, each optionally expiring
after `hold_timeout` seconds."""

from __future__ import annotations

import threading
import time


class MemoryLockManager:
    """Locks by key in this process; a lock is held by one holder (a string) at a time.

    One instance per process, as Prefect's: `MemoryLockManager()` answers the same manager each
    time, so two stores made apart (a transaction's and its task's) see the same locks."""

    _instance: MemoryLockManager | None = None
    _creating = threading.Lock()

    def __new__(cls) -> MemoryLockManager:
        with cls._creating:
            if cls._instance is None:
                instance = super().__new__(cls)
                instance._cond = threading.Condition()
                instance._held = {}
                cls._instance = instance
            return cls._instance

    _cond: threading.Condition
    _held: dict[str, tuple[str, float | None]]

    def _holder(self, key: str) -> str | None:
        entry = self._held.get(key)
        if entry is None:
            return None
        holder, expires = entry
        if expires is not None and time.monotonic() >= expires:
            del self._held[key]
            return None
        return holder

    def acquire_lock(
        self, key: str, holder: str, acquire_timeout: float | None = None, hold_timeout: float | None = None
    ) -> bool:
        """Take `key` for `holder` (at once if it holds it already); False after `acquire_timeout`."""
        deadline = None if acquire_timeout is None else time.monotonic() + acquire_timeout
        with self._cond:
            while self._holder(key) not in (None, holder):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(0.05 if remaining is None else min(remaining, 0.05))
            expires = None if hold_timeout is None else time.monotonic() + hold_timeout
            self._held[key] = (holder, expires)
            return True

    def release_lock(self, key: str, holder: str) -> None:
        """Give `key` back; a ValueError if `holder` does not hold it."""
        with self._cond:
            if self._holder(key) != holder:
                raise ValueError(f"No lock held by {holder} for transaction with key {key}")
            del self._held[key]
            self._cond.notify_all()

    def is_locked(self, key: str) -> bool:
        with self._cond:
            return self._holder(key) is not None

    def is_lock_holder(self, key: str, holder: str) -> bool:
        with self._cond:
            return self._holder(key) == holder

    def wait_for_lock(self, key: str, timeout: float | None = None) -> bool:
        """Wait until nobody holds `key`; False if someone still does after `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._holder(key) is not None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(0.05 if remaining is None else min(remaining, 0.05))
            return True
