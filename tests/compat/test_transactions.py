"""jupyter_orch.transactions: commit and rollback, nesting, stores, hooks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.exceptions import ConfigurationError
from jupyter_orch.locking import FileSystemLockManager
from jupyter_orch.results import ResultStore
from jupyter_orch.transactions import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    get_transaction,
    transaction,
)


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def exists(self, key: str) -> bool:
        return key in self.data

    def read(self, key: str) -> Any:
        return self.data[key]

    def write(self, obj: Any, key: str | None = None, **_: Any) -> None:  # ResultStore.write's signature
        self.data[key] = obj


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A keyed transaction without a store records its commit in the home's results directory:
    each test gets its own home."""
    monkeypatch.setenv("JUPYTER_ORCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_block_that_ends_commits_and_runs_commit_hooks() -> None:
    seen: list[str] = []
    with transaction(key="k") as txn:
        assert get_transaction() is txn
        txn.stage(1, on_commit_hooks=[lambda t: seen.append(f"commit {t.key}")])
        assert txn.is_staged()
    assert txn.is_committed() and seen == ["commit k"]
    assert get_transaction() is None


def test_a_block_that_raises_rolls_back_newest_hook_first() -> None:
    seen: list[str] = []
    with pytest.raises(ValueError), transaction() as txn:
        txn.stage("a", on_rollback_hooks=[lambda t: seen.append("first")])
        txn.stage("b", on_rollback_hooks=[lambda t: seen.append("second")])
        raise ValueError("boom")
    assert txn.is_rolled_back() and seen == ["second", "first"]
    assert txn.rollback() is False  # once only


def test_nested_transactions_share_values_and_commit_with_the_outer_one() -> None:
    seen: list[str] = []
    with transaction() as outer:
        outer.set("day", "2026-01-01")
        with transaction() as inner:
            assert inner.get("day") == "2026-01-01"
            assert inner.get("missing", 5) == 5
            inner.stage(1, on_commit_hooks=[lambda t: seen.append("inner")])
        assert inner.state is TransactionState.STAGED and seen == []
        assert inner.get_parent() is outer and outer.children == [inner]
    assert inner.is_committed() and seen == ["inner"]
    with pytest.raises(ValueError, match="unknown key"):
        Transaction().get("nothing")


def test_a_failing_child_rolls_back_its_parent() -> None:
    seen: list[str] = []
    with transaction() as outer:
        outer.stage(0, on_rollback_hooks=[lambda t: seen.append("outer")])
        with pytest.raises(RuntimeError), transaction():
            raise RuntimeError("child fails")
    assert outer.is_rolled_back() and seen == ["outer"]


def test_a_store_receives_the_committed_value_and_answers_the_next_transaction() -> None:
    store = DictStore()
    with transaction(key="rows", store=store) as txn:
        txn.stage([1, 2])
    assert store.data == {"rows": [1, 2]}
    with transaction(key="rows", store=store) as again:
        assert again.is_committed() and again.read() == [1, 2]
    with transaction(key="rows", store=store, overwrite=True) as fresh:
        assert fresh.is_active()


def test_commit_mode_off_never_commits_and_eager_commits_a_nested_block_at_once() -> None:
    with transaction(commit_mode=CommitMode.OFF) as off:
        off.stage(1)
    assert off.is_staged()
    with transaction():
        with transaction(commit_mode=CommitMode.EAGER) as eager:
            eager.stage(1)
        assert eager.is_committed()


def test_a_commit_hook_that_raises_rolls_back() -> None:
    def bad(_: Transaction) -> None:
        raise OSError("disk")

    with transaction() as txn:
        txn.stage(1, on_commit_hooks=[bad])
    assert txn.is_rolled_back()


def test_a_keyed_transaction_records_its_commit_in_the_default_store(home: Path) -> None:
    """Prefect's docs' idempotency example: a transaction given only a key writes a record on
    commit (nothing staged), so the next one with that key starts committed."""
    with transaction(key="download-and-write-data") as first:
        assert first.is_active()
    assert (home / "results" / "download-and-write-data").exists()
    with transaction(key="download-and-write-data") as second:
        assert second.is_committed()
    with transaction(key="other") as third:
        assert third.is_active()
    with pytest.raises(ValueError), transaction(key="failed"):
        raise ValueError("boom")
    assert not (home / "results" / "failed").exists()  # a rolled-back transaction records nothing


def test_serializable_transactions_of_one_key_take_turns(tmp_path: Path) -> None:
    """SERIALIZABLE with a store's lock manager: the second transaction of a key waits for the
    first and then sees its record (Prefect's docs' race example); without a lock manager it is a
    ConfigurationError."""
    store = ResultStore(lock_manager=FileSystemLockManager(lock_files_directory=tmp_path / "locks"))
    order: list[str] = []
    first_in = threading.Event()
    release = threading.Event()

    def first() -> None:
        with transaction(key="race", isolation_level=IsolationLevel.SERIALIZABLE, store=store) as txn:
            order.append("first:" + txn.state.value)
            first_in.set()
            release.wait(30)

    def second() -> None:
        with transaction(key="race", isolation_level=IsolationLevel.SERIALIZABLE, store=store) as txn:
            order.append("second:" + txn.state.value)

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(30)
    b = threading.Thread(target=second)
    b.start()
    b.join(0.3)
    assert b.is_alive() and order == ["first:ACTIVE"]  # waiting for the key's lock
    release.set()
    a.join(30)
    b.join(30)
    assert order == ["first:ACTIVE", "second:COMMITTED"]
    assert not (tmp_path / "locks" / "race.lock").exists()
    with (
        pytest.raises(ConfigurationError, match="SERIALIZABLE"),
        transaction(key="race2", isolation_level="SERIALIZABLE", store=ResultStore()),
    ):
        pass
