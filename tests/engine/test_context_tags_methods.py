"""`tags(...)` (nested, merged into the runs created inside), `jupyter_orch.context` by Prefect's
names, and flows and tasks on instance, class and static methods."""

from __future__ import annotations

import uuid

import pytest

from jupyter_orch import Flow, Task, flow, get_run_context, tags, task
from jupyter_orch.context import FlowRunContext, TagsContext, TaskRunContext
from jupyter_orch.exceptions import MissingContextError


@task(tags=["own"])
def tagged() -> list[str]:
    return sorted(TaskRunContext.get().task_run.tags)


def test_tags_nest_and_reach_flow_and_task_runs(records):
    @flow
    def in_tags() -> list[str]:
        with tags("inner"):
            inner = tagged()
        return [inner, sorted(FlowRunContext.get().flow_run.tags), tagged()]

    with tags("a", "b") as current:
        assert current == {"a", "b"}
        with tags("c"):
            assert TagsContext.get().current_tags == {"a", "b", "c"}
            inner, flow_tags, plain = in_tags()
        assert TagsContext.get().current_tags == {"a", "b"}
    assert TagsContext.get().current_tags == set()
    assert flow_tags == ["a", "b", "c"]
    assert inner == ["a", "b", "c", "inner", "own"] and plain == ["a", "b", "c", "own"]
    run = records.only_flow_run("in-tags")
    assert sorted(run["tags"]) == ["a", "b", "c"]
    stored = sorted(sorted(r["tags"]) for r in records.task_runs(run["id"]))
    assert stored == [["a", "b", "c", "inner", "own"], ["a", "b", "c", "own"]]
    in_tags()  # outside the blocks: no tags of theirs
    assert records.flow_runs(flow_name="in-tags")[0]["tags"] == []


def test_run_context_by_prefects_names(records):
    seen = {}

    @task
    def inside() -> None:
        ctx = get_run_context()
        seen["task"] = (type(ctx).__name__, ctx.task.name, ctx.task_run.name, ctx.task_run.flow_run_id)

    @flow
    def outer(n: int = 3) -> None:
        ctx = get_run_context()
        seen["flow"] = (type(ctx).__name__, ctx.flow.name, ctx.flow_run.parameters, ctx.flow_run.id)
        inside()

    outer()
    run = records.only_flow_run("outer")
    run_id = uuid.UUID(run["id"])  # run objects carry UUIDs, as Prefect's
    assert seen["flow"] == ("FlowRunContext", "outer", {"n": 3}, run_id)
    assert seen["task"] == ("TaskRunContext", "inside", "inside-0", run_id)
    assert FlowRunContext.get() is None and TaskRunContext.get() is None
    with pytest.raises(MissingContextError, match="No run context available"):
        get_run_context()


class Counter:
    base = 100

    def __init__(self, start: int) -> None:
        self.start = start

    @task
    def add(self, x: int) -> int:
        return self.start + x

    @classmethod
    @task
    def from_base(cls, x: int) -> int:
        return cls.base + x

    @staticmethod
    @task
    def double(x: int) -> int:
        return 2 * x

    @flow
    def run(self, x: int) -> list[int]:
        return [self.add(x), self.add.submit(x + 1).result(), *self.add.map([1, 2]).result()]

    @classmethod
    @flow
    def class_flow(cls, x: int) -> int:
        return cls.from_base(x) + Counter.double(x)

    @staticmethod
    @flow
    def static_flow(x: int) -> int:
        return Counter.double(x)


def test_flows_and_tasks_on_methods(records):
    counter = Counter(10)
    assert counter.run(5) == [15, 16, 11, 12]
    assert Counter.class_flow(1) == 103
    assert Counter.static_flow(4) == 8
    assert counter.add.fn(counter, 1) == 11  # the plain function stays reachable
    run = records.only_flow_run("run")
    assert run["parameters"] == {"x": 5}  # `self` is not recorded
    assert records.only_flow_run("class-flow")["parameters"] == {"x": 1}
    names = sorted(r["name"] for r in records.task_runs(run["id"]))
    assert names == ["add-0", "add-1", "add-2", "add-3"]


def _from_base(cls, x: int) -> int:
    return cls.base + x


def _triple(x: int) -> int:
    return 3 * x


def class_flow(cls, x: int) -> int:
    return cls.from_base(x) + cls.triple(x)


def static_flow(x: int) -> int:
    return Built.triple(x)


class Built:
    """`Flow(classmethod(fn))` / `Task(staticmethod(fn))` built directly (Prefect's constructors take
    them; only the decorators stacked over `@classmethod` / `@staticmethod` are refused)."""

    base = 100
    from_base = Task(classmethod(_from_base))
    triple = Task(staticmethod(_triple))
    class_flow = Flow(classmethod(class_flow))
    static_flow = Flow(staticmethod(static_flow))

    @flow
    def instance_flow(self, x: int) -> int:
        return self.from_base(x)


def test_flow_and_task_built_over_classmethod_and_staticmethod(records):
    assert Built.class_flow(2) == 108
    assert Built().class_flow(1) == 104
    assert Built.static_flow(2) == 6 and Built().static_flow(3) == 9
    assert Built().instance_flow(5) == 105
    assert Built.class_flow.with_options(name="renamed")(1) == 104
    runs = {r["flow_name"]: r for r in records.flow_runs()}
    assert runs["class-flow"]["parameters"] == {"x": 1} or runs["class-flow"]["parameters"] == {"x": 2}
    assert runs["static-flow"]["state_type"] == "COMPLETED" and "renamed" in runs


@pytest.mark.parametrize(
    "decorate, kind", [(flow, "flow"), (task, "task"), (flow(retries=1), "flow"), (task(retries=1), "task")]
)
@pytest.mark.parametrize("method", [classmethod, staticmethod])
def test_decorator_over_classmethod_or_staticmethod_is_refused(decorate, kind, method):
    """As Prefect's: `@classmethod` goes on top of `@flow` / `@task`, not under it."""
    with pytest.raises(TypeError, match=f"@{method.__name__} should be applied on top of @{kind}$"):
        decorate(method(_triple))
