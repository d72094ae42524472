"""Task caching: a hit skips the body and gives Cached; expiration; results from storage."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from jupyter_orch import flow, task, task_input_hash
from jupyter_orch.cache_policies import INPUTS, TASK_SOURCE


def test_cache_hit_does_not_run_body(records, tmp_path):
    calls = []

    @task(cache_key_fn=task_input_hash)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @flow
    def cached_flow(x: int):
        return square(x, return_state=True)

    first = cached_flow(3)
    second = cached_flow(3)
    third = cached_flow(4)
    assert calls == [3, 4]
    assert first.name == "Completed" and second.name == "Cached" and second.is_completed()
    assert second.result() == 9 and third.result() == 16
    stored = records.task_run(second.task_run_id)
    assert stored["state_name"] == "Cached" and stored["state_type"] == "COMPLETED"
    key = stored["state"]["data"]["storage_key"]
    assert Path(key).is_file() and str(tmp_path) in key  # under $JUPYTER_ORCH_HOME/results


def test_cache_expiration(records):
    calls = []

    # long enough for the hit on a loaded machine; the test then waits for the stored expiry
    @task(cache_policy=INPUTS + TASK_SOURCE, cache_expiration=timedelta(seconds=2))
    def stamp(x: int) -> int:
        calls.append(x)
        return len(calls)

    @flow
    def expiring():
        return stamp(1, return_state=True)

    first = expiring()
    assert first.result() == 1
    hit = expiring()
    assert hit.name == "Cached" and hit.result() == 1
    expires = datetime.fromisoformat(records.task_run(first.task_run_id)["cache_expiration"])
    deadline = time.monotonic() + 10
    while datetime.now(timezone.utc) <= expires:  # wait for the entry to expire
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = expiring()
    assert again.name == "Completed" and again.result() == 2 and len(calls) == 2
    assert records.task_run(again.task_run_id)["cache_expiration"] is not None


def test_custom_cache_key_and_persisted_result_loads_from_storage(records):
    calls = []

    @task(cache_key_fn=lambda ctx, params: f"by-name-{params['name']}", persist_result=True)
    def greet(name: str, punctuation: str = "!") -> str:
        calls.append(name)
        return f"hi {name}{punctuation}"

    @flow
    def greeter(p: str):
        return greet("ada", p)

    assert greeter("!") == "hi ada!"
    assert greeter("?") == "hi ada!"  # same key: cached value, read back from storage
    assert calls == ["ada"]
    run = records.flow_runs(flow_name="greeter")[0]
    (tr,) = records.task_runs(run["id"])
    from jupyter_orch.results import load_result

    assert tr["cache_key"] == "by-name-ada"
    assert load_result(tr["state"]["data"]) == "hi ada!"


def test_results_to_any_fsspec_url(records, monkeypatch):
    monkeypatch.setenv("JUPYTER_ORCH_RESULTS_URL", "memory://orch-results")

    @task(persist_result=True)
    def value():
        return {"a": [1, 2]}

    @flow
    def persisted():
        return value(return_state=True)

    state = persisted()
    assert state.data.metadata.storage_key.startswith("memory://orch-results/")
    from jupyter_orch.states import State

    reloaded = State.from_dict(records.task_run(state.task_run_id)["state"])
    assert reloaded.result() == {"a": [1, 2]}


def test_a_cache_hit_holds_the_value_it_found(orch_env: str) -> None:
    """Prefect reads the cached record when the hit happens: a later run that refreshes the same
    key (and overwrites its stored value) does not change what the earlier hit answers."""

    @task(cache_key_fn=lambda *_: "one key", persist_result=True)
    def echo(x: int) -> int:
        return x

    @flow
    def pipeline() -> tuple:
        first, hit = echo(1, return_state=True), echo(2, return_state=True)
        refreshed = echo.with_options(refresh_cache=True)(3, return_state=True)
        return first, hit, refreshed, echo(4, return_state=True)

    first, hit, refreshed, later = pipeline()
    assert [s.name for s in (first, hit, refreshed, later)] == ["Completed", "Cached", "Completed", "Cached"]
    assert [s.result() for s in (first, hit, refreshed, later)] == [1, 1, 3, 3]


def test_task_input_hash_follows_the_bytecode_not_the_name(orch_env: str) -> None:
    """As Prefect's `task_input_hash` (the body's `co_code`): a body swapped for one that does the
    same keeps the entry; one that does otherwise (another operation or constant) does not."""

    @task(cache_key_fn=task_input_hash, persist_result=True)
    def base(x: int) -> int:
        return x + 1

    def renamed(x: int) -> int:
        return x + 1

    def other_constant(x: int) -> int:
        return x + 2

    @flow
    def pipeline() -> list:
        names = [base(1, return_state=True).name]
        base.fn = renamed
        names.append(base(1, return_state=True).name)
        base.fn = other_constant
        names.append(base(1, return_state=True).name)
        return names

    assert pipeline() == ["Completed", "Cached", "Completed"]


def test_cache_policy_none_given_stays_none() -> None:
    """Prefect's `cache_policy` default is 'not set': persist_result=False then means NO_CACHE,
    while an explicit None is kept (and never caches)."""
    from jupyter_orch.cache_policies import DEFAULT, NONE

    @task(persist_result=False)
    def unset() -> None: ...

    @task(persist_result=False, cache_policy=None)
    def explicit_none() -> None: ...

    @task(cache_policy=None)
    def none_persisting() -> None: ...

    assert unset.cache_policy is NONE and explicit_none.cache_policy is None
    assert none_persisting.cache_policy is None and not none_persisting.caching
    assert task(persist_result=True)(lambda: None).cache_policy is DEFAULT
