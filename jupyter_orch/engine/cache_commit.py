"""When a task run's cache entry (its cache key on its completed record) becomes visible: as
Prefect commits nested task transactions. A run of a flow commits it at once; a run inside
another task run waits for that run to complete (and then for whatever that run waits for); a
run inside an open LAZY `transaction()` waits for the transaction's commit; an EAGER transaction
commits each at once. A failed outer run, or a rollback, never commits it: so of two equal calls
nested in one task run the second runs again, as in Prefect.

The engine (`task_engine.TaskRunEngine`, which stands above: it calls these) writes a held run's
record without its key (`key_held`) and writes it again, key and all, on commit."""

from __future__ import annotations

import sys
import threading
from typing import Any

from jupyter_orch.engine.context import task_run_ctx

_held_lock = threading.Lock()  # a parent's list of held runs: its children may end in other threads


def parent_run() -> Any:
    """The engine of the task run a new one is made inside (its entry commits with that run)."""
    return getattr(task_run_ctx.get(), "engine", None)


def hold_cache_key(engine: Any) -> Any:
    """Who commits the entries of `engine`'s run (about to complete) and of the nested runs it
    holds: None (now), its parent run's engine, or an open transaction."""
    if engine.cache_key is None and not engine.held:
        return None
    module = sys.modules.get("jupyter_orch.transactions")  # not loaded: no transaction is open
    txn = module.get_transaction() if module is not None else None
    if txn is not None and txn.commit_mode is module.CommitMode.EAGER:  # it commits each at once
        engine.key_held = False
        return None
    parent = engine.parent
    holder = parent if parent is not None and not _ended(parent) else txn
    engine.key_held = holder is not None and engine.cache_key is not None
    return holder


def commit_cache_key(engine: Any, holder: Any) -> None:
    """After `engine`'s run completed: hand its held entry and those of its nested runs to
    `holder` (from `hold_cache_key`), or publish them now when there is none."""
    if holder is None and not engine.held:
        return
    with _held_lock:
        runs, engine.held = engine.held or [], None
    if engine.key_held:
        runs.append(engine)
    if holder is None:
        for run in runs:
            publish_cache_key(run)
    elif hasattr(holder, "held"):  # a parent task run's engine
        with _held_lock:
            holder.held = [*(holder.held or ()), *runs]
    elif runs:
        holder.add_child(_HeldCacheKeys(runs))


def publish_cache_key(engine: Any) -> None:
    """Write the run's record again, now with its cache key (no new state)."""
    engine.key_held = False
    engine._record(engine.state, new_state=False)


def _ended(engine: Any) -> bool:
    return engine.state is not None and engine.state.is_final()


class _HeldCacheKeys:
    """A child of an open transaction that publishes the held entries of `runs` when the
    transaction commits and drops them when it rolls back (what `Transaction` asks of a child)."""

    def __init__(self, runs: list[Any]) -> None:
        self.runs = runs
        self.state: Any = None

    def commit(self) -> bool:
        for run in self.runs:
            publish_cache_key(run)
        self.state = sys.modules["jupyter_orch.transactions"].TransactionState.COMMITTED
        return True

    def rollback(self) -> bool:
        self.runs = []
        self.state = sys.modules["jupyter_orch.transactions"].TransactionState.ROLLED_BACK
        return True


__all__ = ["commit_cache_key", "hold_cache_key", "parent_run", "publish_cache_key"]
