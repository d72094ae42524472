"""jupyter_orch.transactions: commit and rollback, nesting, stores, hooks."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_orch.transactions import CommitMode, Transaction, TransactionState, get_transaction, transaction


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def exists(self, key: str) -> bool:
        return key in self.data

    def read(self, key: str) -> Any:
        return self.data[key]

    def write(self, key: str, value: Any) -> None:
        self.data[key] = value


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
