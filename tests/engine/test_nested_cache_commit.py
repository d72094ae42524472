"""A nested task run's cache entry is committed as Prefect commits nested task transactions: with
the task run around it (when that completes), or with an open LAZY `transaction()`; an EAGER
transaction commits each at once; a failed outer run or a rollback never commits it."""

from __future__ import annotations

import pytest

from jupyter_orch import flow, task
from jupyter_orch.tasks import task_input_hash
from jupyter_orch.transactions import CommitMode, transaction

calls: list[int] = []


@task(cache_key_fn=task_input_hash, persist_result=True)
def double(x: int) -> int:
    calls.append(x)
    return x * 2


@pytest.fixture(autouse=True)
def _no_calls() -> None:
    calls.clear()


def test_a_nested_runs_entry_waits_for_the_outer_run(orch_env: str) -> None:
    @task
    def outer(x: int) -> tuple:
        return double(x, return_state=True).name, double(x, return_state=True).name

    @flow
    def pipeline() -> tuple:
        return outer(3), double(3, return_state=True).name

    assert pipeline() == (("Completed", "Completed"), "Cached")  # committed when `outer` completed
    assert calls == [3, 3]


def test_a_failed_outer_run_commits_no_nested_entry(orch_env: str) -> None:
    @task
    def outer(x: int) -> None:
        double(x)
        raise ValueError("the outer run fails")

    @flow
    def pipeline() -> str:
        outer(5, return_state=True)
        return double(5, return_state=True).name

    assert pipeline() == "Completed"
    assert calls == [5, 5]


def test_an_eager_transaction_commits_each_nested_entry_at_once(orch_env: str) -> None:
    @task
    def outer(x: int) -> tuple:
        with transaction(commit_mode=CommitMode.EAGER):
            return double(x, return_state=True).name, double(x, return_state=True).name

    @flow
    def pipeline() -> tuple:
        return outer(7)

    assert pipeline() == ("Completed", "Cached")


def test_a_lazy_transaction_commits_its_runs_entries_when_it_commits(orch_env: str) -> None:
    @flow
    def pipeline() -> tuple:
        with transaction():
            inside = double(11, return_state=True).name, double(11, return_state=True).name
        after = double(11, return_state=True).name
        try:
            with transaction():
                double(13)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        return inside, after, double(13, return_state=True).name

    assert pipeline() == (("Completed", "Completed"), "Cached", "Completed")
    assert calls == [11, 11, 13, 13]


def test_a_nested_entry_travels_up_to_the_outermost_run(orch_env: str) -> None:
    @task
    def middle(x: int) -> int:
        return double(x)

    @task
    def outer(x: int) -> str:
        middle(x)
        return double(x, return_state=True).name  # `middle` completed, `outer` has not

    @flow
    def pipeline() -> tuple:
        return outer(17), double(17, return_state=True).name

    assert pipeline() == ("Completed", "Cached")
