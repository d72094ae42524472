"""The lock managers of `jupyter_orch.locking` (Prefect's `prefect.locking`)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jupyter_orch.locking import FileSystemLockManager, MemoryLockManager


@pytest.mark.parametrize("kind", ["memory", "files"])
def test_lock_managers_exclude_other_holders(kind: str, tmp_path: Path) -> None:
    locks = MemoryLockManager() if kind == "memory" else FileSystemLockManager(tmp_path)
    assert locks.acquire_lock("k", "me")
    assert locks.is_locked("k") and locks.is_lock_holder("k", "me")
    assert not locks.acquire_lock("k", "you", acquire_timeout=0.05)
    released = threading.Event()

    def take() -> None:
        if locks.acquire_lock("k", "you", acquire_timeout=10):
            released.set()

    waiter = threading.Thread(target=take)
    waiter.start()
    locks.release_lock("k", "me")
    waiter.join(10)
    assert released.is_set() and locks.is_lock_holder("k", "you")
    with pytest.raises(ValueError):
        locks.release_lock("k", "me")
    if kind == "files":
        assert (tmp_path / "k.lock").exists()
    assert locks.wait_for_lock("k", timeout=0.05) is False


def test_a_serializable_cache_policy_holds_the_keys_lock_while_the_run_runs(
    orch_env: str, tmp_path: Path
) -> None:
    from jupyter_orch import task
    from jupyter_orch.cache_policies import INPUTS
    from jupyter_orch.exceptions import ConfigurationError

    policy = INPUTS.configure(lock_manager=FileSystemLockManager(tmp_path), isolation_level="SERIALIZABLE")
    key = policy.compute_key(None, {"x": 1}, {})

    @task(cache_policy=policy)
    def locked(x: int) -> bool:
        return (tmp_path / f"{key}.lock").exists()

    assert locked(1) is True and not (tmp_path / f"{key}.lock").exists()
    unmanaged = task(cache_policy=INPUTS.configure(isolation_level="SERIALIZABLE"))(lambda x: x)
    with pytest.raises(ConfigurationError, match="not supported by provided configuration"):
        unmanaged(2)  # (x=1 is cached: INPUTS alone does not tell the tasks apart)


def test_serializable_runs_of_one_key_run_once(orch_env: str) -> None:
    """Prefect's docs: two tasks sharing a SERIALIZABLE policy's key, started together in two
    threads outside any flow: one runs, the other waits for the lock and ends Cached with its value."""
    from jupyter_orch import task
    from jupyter_orch.cache_policies import INPUTS

    policy = INPUTS.configure(isolation_level="SERIALIZABLE", lock_manager=MemoryLockManager())
    ran: list[str] = []

    @task(cache_policy=policy)
    def version_1(x: int) -> int:
        ran.append("v1")
        return x + 42

    @task(cache_policy=policy)
    def version_2(x: int) -> int:
        ran.append("v2")
        return x + 43

    states: list = []
    threads = [
        threading.Thread(target=lambda t=t: states.append(t(2, return_state=True)))
        for t in (version_1, version_2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(ran) == 1 and len(states) == 2
    assert sorted(s.name for s in states) == ["Cached", "Completed"]
    assert {s.result() for s in states} == {44 if ran == ["v1"] else 45}


def test_memory_lock_manager_is_one_per_process_as_prefects() -> None:
    """`MemoryLockManager()` answers the same manager each time (Prefect's singleton): a lock taken
    through a store made in one place is seen through a manager made in another."""
    from jupyter_orch.results import ResultStore

    store = ResultStore(lock_manager=MemoryLockManager())
    assert store.lock_manager is MemoryLockManager() and store.lock_manager == MemoryLockManager()
    assert MemoryLockManager().acquire_lock("one-per-process", "a")
    try:
        assert store.lock_manager.is_lock_holder("one-per-process", "a")
    finally:
        MemoryLockManager().release_lock("one-per-process", "a")
