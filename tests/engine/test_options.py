"""Flow and task options as Prefect names them: run names, versions, retry conditions, result
storage/serializer/keys, in-memory results, cache policies and with_options."""

from __future__ import annotations

import inspect
import json
from datetime import date
from pathlib import Path

import pytest

from jupyter_orch import flow, task
from jupyter_orch.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CompoundCachePolicy,
)
from jupyter_orch.exceptions import InvalidNameError


def test_run_names_from_templates_and_callables(records):
    @task(task_run_name="add-{x}-and-{y}")
    def add(x: int, y: int = 1) -> int:
        return x + y

    @task(task_run_name=lambda: "fixed-name")
    def fixed() -> int:
        return 0

    @task(task_run_name=lambda parameters: f"p-{parameters['n']}")
    def by_params(n: int) -> int:
        return n

    @flow(flow_run_name="{name}-on-{day:%A}")
    def named(name: str, day: date):
        return add(2, 3, return_state=True), fixed(return_state=True), by_params(7, return_state=True)

    first, second, third = named("report", date(2026, 12, 4))
    run = records.only_flow_run("named")
    assert run["name"] == "report-on-Friday"
    names = {r["name"] for r in records.task_runs(run["id"])}
    assert names == {"add-2-and-3", "fixed-name", "p-7"}
    assert records.task_run(first.task_run_id)["name"] == "add-2-and-3"


def test_a_run_name_callable_must_return_a_string(records):
    @flow(flow_run_name=lambda: 42)
    def bad_name():
        return 1

    with pytest.raises(TypeError, match="returned type int but a string is required"):
        bad_name()
    assert records.only_flow_run("bad-name")["state_type"] == "FAILED"


def test_version_description_and_invalid_names():
    @flow(version="1.2", description="the doc")
    def versioned():
        pass

    @flow
    def unversioned():
        """Docstring."""

    @task(version="7")
    def t():
        pass

    assert versioned.version == "1.2" and versioned.description == "the doc"
    assert len(unversioned.version) == 32 and unversioned.description == "Docstring."  # file hash
    assert t.version == "7"
    with pytest.raises(InvalidNameError, match="invalid character"):
        flow(name="a/b")(lambda: None)


def test_retry_condition_fn_decides_whether_to_retry(records):
    attempts = []

    def only_value_errors(task, task_run, state) -> bool:
        assert task.name == "flaky" and task_run.run_count >= 1 and state.is_failed()
        try:
            state.result()
        except ValueError:
            return True
        except Exception:
            return False
        return False

    @task(retries=3, retry_condition_fn=only_value_errors)
    def flaky(kind: str) -> int:
        attempts.append(kind)
        raise (ValueError if kind == "value" else KeyError)(kind)

    @flow
    def conditional():
        return flaky("value", return_state=True), flaky("key", return_state=True)

    value, key = conditional(return_state=True).result(raise_on_failure=False)
    assert attempts.count("value") == 4 and attempts.count("key") == 1
    assert value.is_failed() and key.is_failed()
    assert records.task_run(key.task_run_id)["run_count"] == 1


def test_result_storage_key_serializer_and_cache_by_key(records, tmp_path):
    calls = []
    store = tmp_path / "results"

    @task(
        result_storage=str(store), result_storage_key="square-{parameters[x]}.json", result_serializer="json"
    )
    def square(x: int) -> dict:
        calls.append(x)
        return {"square": x * x}

    @flow
    def squares(x: int):
        return square(x, return_state=True)

    first = squares(4)
    assert json.loads((store / "square-4.json").read_text()) == {"square": 16}
    again = squares(4)  # another flow run: the same storage key is the same cache entry
    assert calls == [4] and again.name == "Cached" and again.result() == {"square": 16}
    assert records.task_run(first.task_run_id)["state"]["data"]["serializer"] == "json"


def test_result_not_kept_in_memory_is_read_back(records):
    @task(cache_result_in_memory=False)
    def big() -> list[int]:
        return [1, 2, 3]

    @flow
    def holder():
        return big(return_state=True)

    state = holder()
    assert not state._has_result and state.data["storage_key"]
    assert state.result() == [1, 2, 3]


def test_refresh_cache_runs_the_body_and_replaces_the_entry(records):
    calls = []

    @task(cache_key_fn=lambda ctx, p: "one-key")
    def value() -> int:
        calls.append(1)
        return len(calls)

    @flow
    def refreshed():
        first = value()
        second = value.with_options(refresh_cache=True)()
        third = value()
        return first, second, third

    assert refreshed() == (1, 2, 2) and len(calls) == 2


def test_cache_policies(records):
    calls = []

    @task(cache_policy=INPUTS - "verbose")
    def by_inputs(x: int, verbose: bool = False) -> int:
        calls.append(("inputs", x))
        return x

    @task(persist_result=True)  # persisted: Prefect's DEFAULT policy, within one flow run
    def default(x: int) -> int:
        calls.append(("default", x))
        return x

    @task(cache_policy=NO_CACHE, persist_result=True)
    def never(x: int) -> int:
        calls.append(("never", x))
        return x

    @task(cache_policy=FLOW_PARAMETERS)
    def by_flow(x: int) -> int:
        calls.append(("flow", x))
        return x

    @flow
    def policies(p: int):
        by_inputs(1), by_inputs(1, verbose=True), by_inputs(2)
        default(1), default(1)
        never(1), never(1)
        by_flow(1), by_flow(2)  # same flow parameters: the second is a hit (returns 1)

    policies(0)
    policies(0)  # INPUTS and FLOW_PARAMETERS span flow runs; DEFAULT does not
    assert calls.count(("inputs", 1)) == 1 and calls.count(("inputs", 2)) == 1
    assert calls.count(("default", 1)) == 2 and calls.count(("never", 1)) == 4
    assert calls.count(("flow", 1)) == 1 and ("flow", 2) not in calls


def test_policy_composition():
    assert isinstance(DEFAULT, CompoundCachePolicy)
    assert DEFAULT.policies == [TASK_SOURCE, RUN_ID, INPUTS]  # Prefect's: the merged INPUTS last
    assert (INPUTS + NO_CACHE) is INPUTS and (NO_CACHE + INPUTS) is INPUTS  # NONE adds nothing
    assert (INPUTS + TASK_SOURCE + (INPUTS - "x")).policies == [TASK_SOURCE, INPUTS - "x"]  # joined
    assert (DEFAULT - "y").compute_key(None, {"x": 1, "y": 2}, {}) == (RUN_ID + INPUTS).compute_key(
        None, {"x": 1}, {}
    )  # without a context only the inputs give a key; those that give None are left out
    fn_policy = CachePolicyFromFn = CacheKeyFnPolicy(lambda ctx, p: "k")
    assert fn_policy.compute_key(None, {}, {}) == "k" and CachePolicyFromFn is fn_policy

    @task(cache_key_fn=lambda ctx, p: "k")
    def keyed():
        pass

    assert isinstance(keyed.cache_policy, CacheKeyFnPolicy) and keyed.persist_result is True


def test_with_options_keeps_every_option_and_the_signature():
    def hook(task, run, state):
        pass

    @task(name="orig", retries=2, tags=["a"], cache_policy=INPUTS, task_run_name="r-{x}", on_failure=[hook])
    def work(x: int, y: str = "s") -> int:
        """Work."""
        return x

    copy = work.with_options(name="copy", timeout_seconds=5)
    assert copy.name == "copy" and copy.retries == 2 and copy.tags == {"a"}
    assert copy.cache_policy is INPUTS and copy.task_run_name == "r-{x}" and copy.timeout_seconds == 5
    assert copy.on_failure_hooks == [hook] and copy.__doc__ == "Work."
    assert inspect.signature(copy) == inspect.signature(work.fn)
    params = inspect.signature(type(work).with_options).parameters
    assert {"cache_policy", "result_storage_key", "on_completion", "retry_condition_fn"} <= set(params)
    with pytest.raises(TypeError):
        work.with_options(not_an_option=1)

    @flow(name="f", retries=1, flow_run_name="x", log_prints=True)
    def f(a: int) -> int:
        return a

    g = f.with_options(name="g", version="3")
    assert (g.name, g.retries, g.flow_run_name, g.log_prints, g.version) == ("g", 1, "x", True, "3")
    assert inspect.signature(g) == inspect.signature(f.fn)
    assert {"on_crashed", "result_serializer", "flow_run_name"} <= set(
        inspect.signature(type(f).with_options).parameters
    )


def test_results_path_is_absolute(records, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    @task(result_storage="rel", result_storage_key="k.pickle")
    def one() -> int:
        return 1

    @flow
    def rel():
        return one(return_state=True)

    state = rel()
    assert Path(state.data.metadata.storage_key) == tmp_path / "rel" / "k.pickle"


def test_reserved_argument_names_and_bind_errors(records):
    from jupyter_orch.exceptions import ParameterBindError, ReservedArgumentError

    with pytest.raises(ReservedArgumentError, match="'return_state' is a reserved argument name"):
        task(lambda return_state: None)
    with pytest.raises(ReservedArgumentError, match="'wait_for' is a reserved argument name"):
        flow(lambda wait_for: None)

    @flow
    def one_arg(x: int) -> int:
        return x

    with pytest.raises(ParameterBindError, match="Error binding parameters for function 'one_arg'"):
        one_arg(1, 2)
    with pytest.raises(TypeError):  # still a TypeError, as Prefect's
        one_arg(y=1)


def test_task_tags_are_a_set_of_its_own_read_at_each_run(records):
    @task(tags=["a"])
    def tagged() -> int:
        return 1

    copy = tagged.with_options(name="copy")
    tagged.tags.add("b")  # Prefect's tags are a plain set: changing it changes later runs
    assert copy.tags == {"a"} and copy.tags is not tagged.tags

    @flow
    def runs():
        return tagged(return_state=True), copy(return_state=True)

    first, second = runs()
    assert records.task_run(first.state_details.task_run_id)["tags"] == ["a", "b"]
    assert records.task_run(second.state_details.task_run_id)["tags"] == ["a"]


def test_task_decorator_lists_the_options_with_options_takes_plus_version():
    decorator_options = set(inspect.signature(task).parameters) - {"__fn", "version"}
    with_options = set(inspect.signature(type(task(lambda: 1)).with_options).parameters) - {"self"}
    assert decorator_options == with_options and "version" in inspect.signature(task).parameters


def test_flow_decorator_lists_the_options_with_options_takes():
    """`inspect.signature(flow)` shows Prefect's options (IDEs and Prefect's own test read it)."""
    decorator_options = set(inspect.signature(flow).parameters) - {"__fn"}
    with_options = set(inspect.signature(type(flow(lambda: 1)).with_options).parameters) - {"self"}
    assert decorator_options == with_options and {"retries", "on_running", "version"} <= with_options
