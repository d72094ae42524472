"""A task with commit or rollback hooks stages its result in a transaction: the hooks' runs are
logged in the task run's log (Prefect's messages), a failing hook is logged with its error, and a
rollback leaves the run in a Completed state named RolledBack."""

from __future__ import annotations

import logging

from jupyter_orch import flow, task
from jupyter_orch.client import get_client
from jupyter_orch.transactions import get_transaction, transaction


def test_rollback_marks_the_run_rolled_back_and_logs_the_hooks(records, caplog):
    caplog.set_level(logging.INFO)
    undone: list[str] = []

    @task
    def write():
        return "row"

    @write.on_rollback
    def undo(txn):
        undone.append("undo")

    @task
    def broken_write():
        return "other"

    @broken_write.on_rollback
    def explode(txn):
        raise RuntimeError("cannot undo")

    @flow
    def batch():
        with transaction():
            state = write(return_state=True)
            broken_write()
            raise ValueError("the batch failed")
        return state

    batch(return_state=True)
    assert undone == ["undo"]
    [run] = records.flow_runs(flow_name="batch")
    [written] = [t for t in records.task_runs(run["id"]) if t["name"].startswith("write")]
    names = [s["name"] for s in records.task_run_states(written["id"])]
    assert names == ["Pending", "Running", "Completed", "RolledBack"]
    assert (written["state_type"], written["state_name"]) == ("COMPLETED", "RolledBack")
    assert "Running rollback hook 'undo'" in caplog.text
    assert "Rollback hook 'undo' finished running successfully" in caplog.text
    assert "An error was encountered while running rollback hook 'explode'" in caplog.text
    assert "cannot undo" in caplog.text
    get_client().flush()
    logged = [log["message"] for log in records.logs(task_run_id=written["id"])]
    assert "Running rollback hook 'undo'" in logged


def test_commit_hooks_are_logged_and_a_failing_one_rolls_back(caplog):
    caplog.set_level(logging.INFO)

    @task
    def announce():
        return 1

    @announce.on_commit
    def shout(txn):
        raise RuntimeError("no voice")

    @task
    def quiet():
        return 2

    @quiet.on_commit
    def whisper(txn):
        pass

    assert quiet() == 2
    assert "Running commit hook 'whisper'" in caplog.text
    assert "Commit hook 'whisper' finished running successfully" in caplog.text
    announce()
    assert "An error was encountered while running commit hook 'shout'" in caplog.text


def test_a_task_inside_a_transaction_has_its_own(records):
    """Inside `transaction()` each task run's body sees a transaction of its own (a child of the
    open one): what it `set`s stays its own, and its rollback hooks are handed it (Prefect's)."""
    seen: dict[str, object] = {}

    @task
    def first():
        txn = get_transaction()
        txn.set("who", "first")
        seen["parent"] = txn.get_parent()
        seen["shared"] = txn.get("batch")  # values of the enclosing transaction are readable

    @first.on_rollback
    def undo_first(txn):
        seen["first"] = txn.get("who")

    @task
    def second():
        get_transaction().set("who", "second")

    @second.on_rollback
    def undo_second(txn):
        seen["second"] = txn.get("who")

    @flow
    def batch():
        with transaction() as outer:
            outer.set("batch", 7)
            first()
            second()
            seen["outer"] = outer
            raise ValueError("the batch failed")

    batch(return_state=True)
    assert seen["first"] == "first" and seen["second"] == "second"
    assert seen["parent"] is seen["outer"] and seen["shared"] == 7


def test_a_result_persisted_inside_a_transaction_is_written_at_its_commit(records, tmp_path):
    """As Prefect's: nothing is written while the transaction is open; its commit writes the
    result where the run's state refers; a rollback writes nothing."""
    where = tmp_path / "results"
    seen: dict[str, object] = {}

    @task(result_storage=str(where), result_storage_key="kept", persist_result=True)
    def kept():
        return {"rows": 3}

    @task(result_storage=str(where), result_storage_key="dropped", persist_result=True)
    def dropped():
        return 1

    @flow
    def batch():
        with transaction():
            seen["state"] = kept(return_state=True)
            seen["before commit"] = (where / "kept").exists()
        seen["after commit"] = (where / "kept").exists()
        with transaction():
            dropped()
            raise ValueError("undo")

    assert batch(return_state=True).is_failed()
    assert seen["before commit"] is False and seen["after commit"] is True
    assert seen["state"].result() == {"rows": 3}
    assert not (where / "dropped").exists()


def test_a_runs_transaction_inherits_serializable_isolation_and_the_lock_manager(orch_env):
    """As Prefect's: inside a SERIALIZABLE transaction a task run's own transaction is
    SERIALIZABLE too, its store carrying the enclosing store's lock manager (also when its
    persisted result waits for the commit, which then writes it)."""
    from jupyter_orch.locking.memory import MemoryLockManager
    from jupyter_orch.results import ResultStore
    from jupyter_orch.transactions import IsolationLevel, get_transaction

    seen: list = []

    @task
    def inside() -> object:
        return get_transaction()

    @task(persist_result=True)
    def persisted() -> int:
        seen.append(get_transaction())
        return 7

    locks = MemoryLockManager()
    with transaction(isolation_level=IsolationLevel.SERIALIZABLE, store=ResultStore(lock_manager=locks)):
        txn = inside()
        state = persisted(return_state=True)
    for run_txn in (txn, seen[0]):
        assert run_txn.isolation_level == IsolationLevel.SERIALIZABLE and run_txn.is_committed()
        assert isinstance(run_txn.store, ResultStore) and run_txn.store.lock_manager is locks
    assert state.result() == 7  # written when the enclosing transaction committed
    with transaction():  # a plain enclosing transaction: nothing inherited
        assert inside().isolation_level is None


def test_a_run_ending_after_its_transaction_committed_writes_its_result(records, tmp_path):
    """A submitted run still going when the enclosing transaction commits cannot be committed
    with it: its persisted result is written when it ends."""
    import threading

    where = tmp_path / "late"
    go = threading.Event()

    @task(result_storage=str(where), result_storage_key="late", persist_result=True)
    def late():
        assert go.wait(60)
        return 5

    @flow
    def batch():
        with transaction():
            future = late.submit()
        go.set()  # the transaction committed while the run waited
        return future.result()

    assert batch() == 5
    assert (where / "late").exists()
