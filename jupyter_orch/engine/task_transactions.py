"""A task run's transaction (Prefect's): a task with commit or rollback hooks, or any task run
inside an open `transaction()`, runs its body in a transaction of its own, so `get_transaction()`
in the body answers it (values it `set`s stay its own) and its rollback hooks are handed it. Its
result is staged there: committed at once outside any transaction (calling the on_commit hooks),
or with the enclosing transaction, whose rollback calls the on_rollback hooks and moves the run
to a Completed state named RolledBack. A persisted result of a run inside an open transaction is
written when that transaction commits, as Prefect's (never, if it rolls back).

Other task runs never get here: the transactions module is not even loaded until someone opens
one, so a transaction costs nothing per task run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from jupyter_orch.results import ResultStore
from jupyter_orch.states import Completed


def open_transaction(engine: Any) -> Any:
    """Enter the task run's transaction (None when it needs none); `close_transaction` leaves it.
    `engine` is a `TaskRunEngine`, which stands above this module (its driver calls this)."""
    hooks = engine.task.hooks
    if not (hooks["on_commit"] or hooks["on_rollback"]):
        module = sys.modules.get("jupyter_orch.transactions")
        if module is None or module.get_transaction() is None:  # not loaded: none can be open
            return None
    from jupyter_orch.transactions import Transaction  # only runs that need one load it

    txn = Transaction(key=engine.cache_key, logger=engine.logger())
    txn.__enter__()
    _inherit_isolation(txn)
    return txn


def _inherit_isolation(txn: Any) -> None:
    """As Prefect's: a run's transaction inside a SERIALIZABLE one is SERIALIZABLE too, its store
    holding the enclosing store's lock manager. Set after `begin`: the run's cache-key lock is the
    engine's own (`task_drivers.hold_slots`), never taken twice."""
    parent = txn.get_parent()
    if parent is None or parent.isolation_level is None:
        return
    txn.isolation_level = parent.isolation_level
    locks = getattr(parent.store, "lock_manager", None)
    if locks is not None:
        txn.store = _RunStore(lock_manager=locks)


class _RunStore(ResultStore):
    """The store of a task run's transaction: the engine writes the run's result itself, so no
    key counts as done already and committing writes only a result whose writing waited for the
    commit (`write`, to the place its state already refers to); it may carry the enclosing
    store's lock manager."""

    def __init__(self, lock_manager: Any = None, write: Callable[[], Any] | None = None) -> None:
        super().__init__(lock_manager=lock_manager)
        self._write = write

    def exists(self, key: str) -> bool:
        return False

    def write(self, *args: Any, **kwargs: Any) -> None:
        if self._write is not None:
            self._write()


def close_transaction(txn: Any) -> None:
    """Leave it: outside any transaction it commits now; inside one it waits for that one's
    commit or rollback (a run that failed staged nothing: there is nothing to do then)."""
    if txn is not None:
        txn.__exit__(None, None, None)


def defers_writes(txn: Any) -> bool:
    """Whether results of the run in `txn` wait for an enclosing transaction's commit (one that
    committed already, while a submitted run was still going, cannot take them: written now)."""
    parent = txn.get_parent() if txn is not None else None
    return parent is not None and not parent.is_committed()


def stage_result(engine: Any, value: Any, write: Callable[[], Any] | None = None) -> None:
    """Stage the run's result in its transaction with the task's hooks; `write` (a persisted
    result whose writing is deferred) is done when the transaction commits."""
    txn = engine.txn
    if write is not None:
        locks = getattr(txn.store, "lock_manager", None)
        txn.store, txn.key = _RunStore(lock_manager=locks, write=write), txn.key or engine.id
    hooks = engine.task.hooks
    rollback = [_rolled_back(engine), *hooks["on_rollback"]] if hooks["on_rollback"] else []
    txn.stage(value, on_rollback_hooks=rollback, on_commit_hooks=hooks["on_commit"])


def _rolled_back(engine: Any) -> Any:
    """The rollback hook that records the run as RolledBack: a final state after a final one,
    which the transition rules would refuse, so it is set as Prefect's engine forces it."""

    def record(txn: Any) -> None:
        state = Completed(name="RolledBack", message="Task rolled back as part of transaction")
        state.task_run_id, state.flow_run_id = engine.id, engine.flow_run_id
        engine.state = state
        engine._record(state)

    record.__name__ = "handle_rollback"
    return record


__all__ = ["close_transaction", "defers_writes", "open_transaction", "stage_result"]
