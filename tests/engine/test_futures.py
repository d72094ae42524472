"""Futures as Prefect has them: `PrefectFuture` classes, `PrefectFutureList` from `.map`,
`wait`, `as_completed`, and the `allow_failure` / `quote` / `unmapped` annotations."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass

import pytest

from jupyter_orch import allow_failure, flow, task, unmapped
from jupyter_orch.exceptions import MappingLengthMismatch, MappingMissingIterable
from jupyter_orch.futures import (
    PrefectConcurrentFuture,
    PrefectFuture,
    PrefectFutureList,
    as_completed,
    resolve_futures_to_results,
    resolve_futures_to_states,
    wait,
)
from jupyter_orch.states import Completed, Failed
from jupyter_orch.utilities.annotations import quote

DEADLINE = 30  # seconds any test waits for a condition at most


# -- the future classes, without a flow ------------------------------------------------------------
def test_concurrent_future_wait_with_timeout_does_not_raise():
    future = PrefectConcurrentFuture(str(uuid.uuid4()), Future())
    future.wait(timeout=0.01)
    assert future.state.is_pending()
    with pytest.raises(TimeoutError):
        future.result(timeout=0.01)


def test_concurrent_future_result_from_a_final_state_or_a_bare_value():
    wrapped: Future = Future()
    future = PrefectConcurrentFuture(str(uuid.uuid4()), wrapped)
    state = Completed()
    state.set_result(42)
    wrapped.set_result(state)
    future.wait(timeout=0)
    assert future.state.is_completed() and future.result() == 42

    bare: Future = Future()
    bare.set_result(7)
    assert PrefectConcurrentFuture(str(uuid.uuid4()), bare).result() == 7


def test_concurrent_future_failed_state_raises_its_exception_unless_told_not_to():
    wrapped: Future = Future()
    failed = Failed()
    failed.set_result(ValueError("oops"))
    wrapped.set_result(failed)
    future = PrefectConcurrentFuture(str(uuid.uuid4()), wrapped)
    with pytest.raises(ValueError, match="oops"):
        future.result()
    assert isinstance(future.result(raise_on_failure=False), ValueError)


def test_done_callback_runs_on_completion_and_at_once_when_already_done():
    wrapped: Future = Future()
    future = PrefectConcurrentFuture(str(uuid.uuid4()), wrapped)
    seen: list[PrefectFuture] = []
    future.add_done_callback(seen.append)
    assert seen == []
    wrapped.set_result(Completed())
    assert seen == [future]
    future.result()
    future.add_done_callback(seen.append)
    assert seen == [future, future]


class _Done(PrefectFuture):
    """A user-made future (Prefect's tests subclass the base the same way)."""

    def __init__(self, value: object) -> None:
        super().__init__(str(uuid.uuid4()))
        self._final_state = Completed()
        self._final_state.set_result(value)

    @property
    def state(self):
        return self._final_state

    def wait(self, timeout=None):
        return None

    def result(self, timeout=None, raise_on_failure=True):
        return self._final_state.result()

    def add_done_callback(self, fn):
        fn(self)


@pytest.mark.parametrize("kind", [list, tuple, set])
def test_resolve_futures_in_collections(kind):
    future = _Done("foo")
    assert resolve_futures_to_states(kind(["a", future, "b"])) == kind(["a", future.state, "b"])
    assert resolve_futures_to_results(kind(["a", future])) == kind(["a", "foo"])


def test_resolve_futures_in_dict_keys_values_and_nested_dataclasses():
    @dataclass
    class Holder:
        one: object
        nested: list
        mapping: dict

    key, value = _Done("k"), _Done("v")
    assert resolve_futures_to_results({key: value, "x": 1}) == {"k": "v", "x": 1}
    future = _Done(3)
    resolved = resolve_futures_to_results(Holder(future, [[future]], {"a": [future]}))
    assert resolved == Holder(3, [[3]], {"a": [3]})
    assert resolve_futures_to_results(quote([future])).unquote() == [future]  # quoted: untouched


def test_wait_and_as_completed_accept_any_future_subclass():
    futures = [_Done(1), _Done(2)]
    done, not_done = wait(futures)
    assert done == set(futures) and not_done == set()
    assert set(as_completed(futures)) == set(futures)


# -- in flows, recorded on SQLite and PostgreSQL -------------------------------------------------
@task
def gated(gate_name: str, value: int) -> int:
    assert _GATES[gate_name].wait(DEADLINE), "gate never opened"
    return value


_GATES: dict[str, threading.Event] = {}


def _gate() -> str:
    name = uuid.uuid4().hex
    _GATES[name] = threading.Event()
    return name


def test_map_returns_a_future_list_with_result_and_wait(records):
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def doubling():
        futures = double.map([1, 2, 3])
        assert isinstance(futures, PrefectFutureList)
        futures.wait()
        assert all(f.state.is_completed() for f in futures)
        return futures.result()

    assert doubling() == [2, 4, 6]
    run = records.only_flow_run("doubling")
    assert [t["state_type"] for t in records.task_runs(run["id"])] == ["COMPLETED"] * 3


def test_future_list_result_times_out_while_a_run_is_unfinished(records):
    @flow
    def stuck():
        gate = _gate()
        futures = gated.map(unmapped(gate), [1, 2])
        with pytest.raises(TimeoutError, match="Timed out waiting for all futures"):
            futures.result(timeout=0.05)
        _GATES[gate].set()
        return futures.result(timeout=DEADLINE)

    assert stuck() == [1, 2]


def test_wait_reports_done_and_not_done(records):
    @task
    def quick() -> int:
        return 1

    @flow
    def waiting():
        gate = _gate()
        fast, slow = quick.submit(), gated.submit(gate, 2)
        fast.wait(DEADLINE)
        done, not_done = wait([fast, slow], timeout=0.05)
        _GATES[gate].set()
        everything = wait([fast, slow])
        return done == {fast}, not_done == {slow}, everything.done == {fast, slow}

    assert waiting() == (True, True, True)


def test_as_completed_yields_in_completion_order_and_times_out(records):
    @flow
    def ordered():
        first, second = _gate(), _gate()
        late = gated.submit(first, 1)
        early = gated.submit(second, 2)
        stream = as_completed([late, early], timeout=DEADLINE)
        _GATES[second].set()
        got = [next(stream).result()]
        _GATES[first].set()
        got.append(next(stream).result())
        never = _gate()
        with pytest.raises(TimeoutError, match=r"1 \(of 1\) futures unfinished"):
            list(as_completed([gated.submit(never, 3)], timeout=0.05))
        _GATES[never].set()
        return got

    assert ordered() == [2, 1]


def test_allow_failure_lets_the_downstream_run_with_the_exception(records):
    @task
    def boom() -> int:
        raise ValueError("upstream broke")

    @task
    def after(value: object) -> str:
        return f"got {type(value).__name__}"

    @flow
    def tolerant_ok():
        upstream = boom.submit()
        waited = after.submit(1, wait_for=[allow_failure(upstream)])
        return after.submit(allow_failure(upstream)).result(), waited.result()

    assert tolerant_ok() == ("got ValueError", "got int")
    run = records.only_flow_run("tolerant-ok")
    states = sorted((t["name"], t["state_type"]) for t in records.task_runs(run["id"]))
    assert states == [("after-0", "COMPLETED"), ("after-1", "COMPLETED"), ("boom-0", "FAILED")]


def test_without_allow_failure_the_downstream_run_is_not_ready(records):
    @task
    def boom() -> int:
        raise ValueError("upstream broke")

    @task
    def after(value: int) -> int:
        return value

    @flow
    def strict():
        downstream = after.submit(boom.submit())
        downstream.wait()
        return downstream.state.is_pending(), downstream.state.name, downstream.state.message

    pending, name, message = strict()
    assert pending and name == "NotReady" and "did not reach a 'COMPLETED' state" in message


def test_quote_passes_futures_unresolved_and_states_are_resolved(records):
    @task
    def one() -> int:
        return 1

    @task
    def inspect_arg(value: object) -> str:
        return type(value).__name__

    @flow
    def quoting():
        future = one.submit()
        state = one(return_state=True)
        return inspect_arg(quote([future])), inspect_arg(state), inspect_arg([future])

    assert quoting() == ("list", "int", "list")

    @task
    def first(items: list) -> str:
        return type(items[0]).__name__

    @flow
    def quoting_inside():
        future = one.submit()
        return first(quote([future])), first([future])

    assert quoting_inside() == ("PrefectConcurrentFuture", "int")


def test_map_follows_prefects_rules_for_what_is_iterated(records):
    @task
    def combine(x: object, suffix: str = "!", extra: list | None = None) -> str:
        return f"{x}{suffix}{len(extra or [])}"

    @task
    def numbers() -> list[int]:
        return [1, 2]

    @flow
    def mapping():
        over_dict = combine.map({"a": 1, "b": 2}).result()  # a dict maps over its keys
        with_default = combine.map(["x", "y"], extra=unmapped([0, 0, 0])).result()
        over_future = combine.map(numbers.submit()).result()
        states = combine.map([1], return_state=True)
        return over_dict, with_default, over_future, [s.type.value for s in states]

    assert mapping() == (["a!0", "b!0"], ["x!3", "y!3"], ["1!0", "2!0"], ["COMPLETED"])


def test_map_maps_the_keywords_of_a_var_keyword_parameter(records):
    @task
    def add_some(x: int, **kwargs: object) -> object:
        return x + kwargs["y"], sorted(kwargs)

    @flow
    def keywords():
        mapped = add_some.map([1, 2, 3], y=[4, 5, 6]).result()
        fixed = add_some.map([1, 2], y=10, z=unmapped([0])).result()
        return mapped, fixed

    mapped, fixed = keywords()
    assert mapped == [(5, ["y"]), (7, ["y"]), (9, ["y"])]
    assert fixed == [(11, ["y", "z"]), (12, ["y", "z"])]
    [run] = records.flow_runs(flow_name="keywords")
    assert len(records.task_runs(run["id"])) == 5


def test_map_rejects_no_iterables_and_mismatched_lengths(records):
    @task
    def add(x: int, y: int) -> int:
        return x + y

    @flow
    def bad_maps():
        with pytest.raises(MappingMissingIterable, match="no iterable parameters"):
            add.map(1, 2)
        with pytest.raises(MappingLengthMismatch, match="different lengths"):
            add.map([1, 2], [1])
        with pytest.raises(ValueError):  # both are ValueErrors too
            add.map([1, 2], [1])
        return add.map([1, 2], allow_failure([10, 20])).result()

    assert bad_maps() == [11, 22]


def test_submit_outside_a_flow_points_at_delay():
    @task
    def lonely() -> int:
        return 1

    with pytest.raises(RuntimeError, match=r"\.delay\(\)"):
        lonely.submit()


def test_futures_inside_dataclasses_named_tuples_and_models_are_resolved(records):
    """Prefect's docs (task parameter resolution): a future in a dataclass field is resolved and the
    dataclass rebuilt (its `__post_init__` runs again); named tuples and pydantic models too; a
    value without futures is passed as the same object; `opaque(future)` resolves the future but
    leaves the value it gives unsearched and unrebuilt."""
    import dataclasses
    from typing import NamedTuple

    from pydantic import BaseModel

    from jupyter_orch.utilities.annotations import opaque

    inits: list[float] = []

    @dataclasses.dataclass
    class Pipeline:
        rate: float

        def __post_init__(self) -> None:
            inits.append(self.rate)

    class Pair(NamedTuple):
        a: int
        b: int

    class Model(BaseModel):
        x: int

    @task
    def number() -> int:
        return 7

    @task
    def make_pipeline() -> Pipeline:
        return Pipeline(rate=1.0)

    @task
    def echo(value: object) -> object:
        return value

    @flow
    def resolving() -> tuple:
        plain = Pipeline(rate=2.0)
        same = echo(plain) is plain
        return (
            echo(Pipeline(rate=number.submit())),
            echo(Pair(1, number.submit())),
            echo(Model.model_construct(x=number.submit())),
            same,
            echo(opaque(make_pipeline.submit())),
        )

    pipeline, pair, model, same, built = resolving()
    assert pipeline == Pipeline(rate=7) and isinstance(pair, Pair) and pair == (1, 7)
    assert isinstance(model, Model) and model.x == 7 and same is True
    assert isinstance(built, Pipeline) and built.rate == 1.0
    assert inits.count(1.0) == 1  # opaque: the built pipeline was not rebuilt


def test_runs_mapped_from_a_future_record_it_as_their_upstream(records):
    @task
    def numbers() -> list[int]:
        return [1, 2]

    @task
    def offset() -> int:
        return 10

    @task
    def add(x: int, y: int) -> int:
        return x + y

    @flow
    def fan_out():
        source, shift = numbers.submit(), offset.submit()
        added = add.map(source, y=shift)
        return source.task_run_id, shift.task_run_id, added.result(), [f.task_run_id for f in added]

    source_id, shift_id, sums, mapped_ids = fan_out()
    assert sums == [11, 12]
    for run_id in mapped_ids:
        inputs = records.task_run(run_id)["task_inputs"]
        assert [i["id"] for i in inputs["x"]] == [str(source_id)]
        assert [i["id"] for i in inputs["y"]] == [str(shift_id)]
