"""Lock managers, as Prefect's `prefect.locking`: `MemoryLockManager` (this process) and
`FileSystemLockManager` (lock files in a directory, shared by processes on one machine), for a
cache policy's `configure(lock_manager=..., isolation_level=SERIALIZABLE)`."""

from jupyter_orch.locking.filesystem import FileSystemLockManager
from jupyter_orch.locking.memory import MemoryLockManager
from jupyter_orch.locking.protocol import LockManager

__all__ = ["FileSystemLockManager", "LockManager", "MemoryLockManager"]
