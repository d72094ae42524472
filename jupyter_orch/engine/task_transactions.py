"""A task run's result in a transaction (Prefect's): tasks with commit or rollback hooks stage
their result in a transaction of their own, committed at once (calling the on_commit hooks) or,
inside an open `transaction()`, with it; its rollback calls the on_rollback hooks and moves the
run to a Completed state named RolledBack. Tasks without such hooks never get here, so a
transaction costs nothing per task run."""

from __future__ import annotations

from typing import Any

from jupyter_orch.states import Completed


def stage_result(engine: Any, value: Any) -> None:
    """Stage the result of `engine`'s run (a `TaskRunEngine`, which stands above: it calls this)."""
    from jupyter_orch.transactions import Transaction  # only tasks with such hooks need it

    hooks = engine.task.hooks
    rollback = [_rolled_back(engine), *hooks["on_rollback"]] if hooks["on_rollback"] else []
    with Transaction(key=engine.cache_key, logger=engine.logger()) as txn:
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


__all__ = ["stage_result"]
