"""`jupyter_orch.runtime`: what code inside a run can read about it (Prefect's `prefect.runtime`),
empty values outside a run, environment overrides, and records read for a run executed elsewhere."""

from __future__ import annotations

from datetime import datetime

import pytest

from jupyter_orch import flow, tags, task
from jupyter_orch.runtime import _access, deployment, flow_run, task_run


@flow
def deployed(x: int = 1) -> None:
    pass


def test_outside_a_run_values_are_empty():
    assert flow_run.id is None and flow_run.name is None and flow_run.deployment_id is None
    assert flow_run.tags == [] and flow_run.parameters == {} and flow_run.run_count == 0
    assert isinstance(flow_run.scheduled_start_time, datetime)
    assert task_run.id is None and task_run.name is None and task_run.tags == []
    assert task_run.parameters == {} and task_run.run_count == 0
    assert deployment.id is None and deployment.name is None and deployment.parameters == {}
    with pytest.raises(AttributeError):
        flow_run.no_such_thing  # noqa: B018


def test_environment_overrides_cast_to_the_value_type(monkeypatch):
    monkeypatch.setenv("JUPYTER_ORCH__RUNTIME__FLOW_RUN__NAME", "mocked")
    monkeypatch.setenv("JUPYTER_ORCH__RUNTIME__TASK_RUN__RUN_COUNT", "3")
    monkeypatch.setenv("JUPYTER_ORCH__RUNTIME__FLOW_RUN__NEW_KEY", "x")
    assert flow_run.name == "mocked" and task_run.run_count == 3 and flow_run.new_key == "x"


def test_prefect_environment_overrides(monkeypatch):
    """Prefect's `PREFECT__RUNTIME__...` variables mock values too (its docs' example); ours win."""
    monkeypatch.setenv("PREFECT__RUNTIME__TASK_RUN__FAKE_KEY", "foo")
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__RUN_COUNT", "4")
    assert task_run.fake_key == "foo" and flow_run.run_count == 4
    monkeypatch.setenv("JUPYTER_ORCH__RUNTIME__FLOW_RUN__RUN_COUNT", "5")
    assert flow_run.run_count == 5


def test_run_name_callables_read_the_runtime(records):
    """A `flow_run_name` / `task_run_name` callable reads the run's parameters and names through
    `runtime` (Prefect's docs build names this way)."""

    def flow_name() -> str:
        return f"{flow_run.flow_name}-with-{flow_run.parameters['name']}-and-{flow_run.parameters['limit']}"

    def task_name() -> str:
        return f"{flow_run.flow_name}-{task_run.task_name}-with-{task_run.parameters['name']}"

    @task(name="my-task", task_run_name=task_name)
    def named_task(name: str, limit: int = 100) -> None:
        pass

    @flow(flow_run_name=flow_name)
    def named_flow(name: str, limit: int = 100) -> None:
        named_task(name="ford")

    named_flow(name="marvin")
    run = records.only_flow_run("named-flow")
    assert run["name"] == "named-flow-with-marvin-and-100"
    assert [t["name"] for t in records.task_runs(flow_run_id=run["id"])] == ["named-flow-my-task-with-ford"]


def test_inside_flow_and_task_runs(records):
    seen = {}

    @task(task_run_name="child-{x}", tags=["t1"])
    def child(x: int) -> None:
        seen["task"] = (
            task_run.id,
            task_run.name,
            task_run.task_name,
            sorted(task_run.tags),
            task_run.parameters,
            task_run.run_count,
            flow_run.id,
            flow_run.name,
        )

    @flow(flow_run_name="runtime-{n}", version="7")
    def inner(n: int) -> None:
        seen["inner"] = (flow_run.parent_flow_run_id, flow_run.root_flow_run_id)

    @flow(flow_run_name="runtime-{n}", version="3")
    def outer(n: int) -> None:
        seen["flow"] = (
            flow_run.id,
            flow_run.name,
            flow_run.flow_name,
            flow_run.flow_version,
            flow_run.parameters,
            sorted(flow_run.tags),
            flow_run.run_count,
            flow_run.deployment_id,
            deployment.id,
            deployment.parameters,
        )
        seen["start"] = flow_run.scheduled_start_time
        child(n)
        inner(n + 1)

    with tags("outer-tag"):
        outer(5)
    run = records.only_flow_run("outer")
    assert seen["flow"] == (
        run["id"],
        "runtime-5",
        "outer",
        "3",
        {"n": 5},
        ["outer-tag"],
        1,
        None,
        None,
        {"n": 5},
    )
    assert isinstance(seen["start"], datetime)
    (tr,) = records.task_runs(flow_run_id=run["id"], name="child-5")
    assert seen["task"] == (
        tr["id"],
        "child-5",
        "child",
        ["outer-tag", "t1"],
        {"x": 5},
        1,
        run["id"],
        "runtime-5",
    )
    assert seen["inner"] == (run["id"], run["id"])


def test_deployment_run_reads_its_records(records, monkeypatch):
    """A process that only knows its run's id (a deployment run, before its engine starts) reads
    the flow run and the deployment from the database."""
    from jupyter_orch.client import get_client

    dep_id = deployed.to_deployment("rt", parameters={"x": 2}).apply()
    client = get_client()
    run = client.create_flow_run_from_deployment(dep_id, parameters={"x": 4})
    _access.forget()
    monkeypatch.setenv("JUPYTER_ORCH_FLOW_RUN_ID", run["id"])
    assert flow_run.id == run["id"] and flow_run.name == run["name"]
    assert flow_run.deployment_id == dep_id and deployment.id == dep_id
    assert deployment.name == "rt" and deployment.parameters == {"x": 4}
    assert flow_run.scheduled_start_time is not None
