"""Flow runs and task runs recorded end to end: states, results, failures, subflows, edges."""

from __future__ import annotations

import pytest

from jupyter_orch import flow, task


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def boom(msg: str) -> None:
    raise ValueError(msg)


def test_flow_with_inline_and_submitted_tasks_is_recorded(records):
    @flow
    def pipeline(a: int) -> int:
        b = add(a, 1)
        fut = add.submit(b, 10)
        return fut.result() + add(0, 0)

    assert pipeline(1) == 12
    run = records.only_flow_run("pipeline")
    assert run["state_type"] == "COMPLETED" and run["run_count"] == 1
    assert run["parameters"] == {"a": 1}
    assert [s["type"] for s in records.flow_run_states(run["id"])] == ["PENDING", "RUNNING", "COMPLETED"]
    trs = records.task_runs(run["id"])
    assert sorted(t["name"] for t in trs) == ["add-0", "add-1", "add-2"]
    for t in trs:
        assert t["state_type"] == "COMPLETED" and t["run_count"] == 1
        assert t["start_time"] and t["end_time"]
        assert [s["type"] for s in records.task_run_states(t["id"])] == ["PENDING", "RUNNING", "COMPLETED"]


def test_failing_flow_reraises_and_records_failed_with_traceback(records):
    @flow
    def failing():
        boom("kaput")

    with pytest.raises(ValueError, match="kaput"):
        failing()
    run = records.only_flow_run("failing")
    assert run["state_type"] == "FAILED"
    assert "kaput" in run["state_message"]
    (tr,) = records.task_runs(run["id"])
    assert tr["state_type"] == "FAILED"
    messages = "\n".join(log["message"] for log in records.logs(flow_run_id=run["id"]))
    assert "Traceback" in messages and "ValueError: kaput" in messages


def test_return_state(records):
    @flow
    def fine():
        return 42

    @flow
    def broken():
        raise KeyError("nope")

    state = fine(return_state=True)
    assert state.is_completed() and state.result() == 42 and state.flow_run_id
    state = broken(return_state=True)
    assert state.is_failed() and state.type.value == "FAILED"
    with pytest.raises(KeyError, match="nope"):
        state.result()
    assert isinstance(state.result(raise_on_failure=False), KeyError)
    assert records.flow_run(state.flow_run_id)["state_type"] == "FAILED"


def test_task_future_api(records):
    @flow
    def futures():
        ok = add.submit(1, 2)
        bad = boom.submit("x")
        ok.wait()
        bad.wait()
        return (
            ok.state,
            bad.state,
            ok.result(),
            bad.result(raise_on_failure=False),
            add(5, 5, return_state=True),
        )

    ok_state, bad_state, value, error, inline_state = futures()
    assert ok_state.is_completed() and value == 3
    assert bad_state.is_failed() and isinstance(error, ValueError)
    assert inline_state.is_completed() and inline_state.result() == 10


def test_edges_for_data_dependencies_and_wait_for(records):
    @flow
    def graph():
        a = add.submit(1, 1)
        b = add.submit(a, 1)  # data edge a -> b
        c = add.submit(2, 2, wait_for=[b])  # wait_for edge b -> c
        d = add.submit(c, 0)
        return d.result(), *(str(f.task_run_id) for f in (a, b, c, d))  # UUIDs, as Prefect's

    value, a, b, c, d = graph()
    assert value == 4
    run = records.only_flow_run("graph")
    edges = {(e["upstream_id"], e["downstream_id"], e["kind"]) for e in records.edges(run["id"])}
    assert edges == {(a, b, "data"), (b, c, "wait_for"), (c, d, "data")}
    # every parameter is listed, as Prefect's task_inputs: `y` had no upstream
    assert records.task_run(b)["task_inputs"] == {"x": [{"input_type": "task_run", "id": a}], "y": []}


def test_futures_inside_collections_are_resolved(records):
    @task
    def total(values: list[int]) -> int:
        return sum(values)

    @flow
    def collect():
        futs = add.map([1, 2, 3], 1)
        return total(futs)

    assert collect() == 9
    run = records.only_flow_run("collect")
    assert len([e for e in records.edges(run["id"]) if e["kind"] == "data"]) == 3


def test_values_returned_by_tasks_draw_data_edges_by_identity(records):
    """A value a task returned, passed on to another task (not as a future), is an edge too."""

    @task
    def square(x: int) -> dict[str, int]:
        return {"x": x, "square": x * x}

    @task
    def total(rows: list[dict[str, int]], scale: int) -> int:
        return sum(r["square"] for r in rows) * scale

    @task
    def label(row: dict[str, int]) -> str:
        return f"{row['x']}"

    @flow
    def sums():
        rows = [square(i) for i in range(5)]
        first = label(rows[0])
        equal_but_not_returned = {"x": 1, "square": 1}
        other = label(equal_but_not_returned)  # an equal value that no task returned: no edge
        return total(rows, 1), first, other

    assert sums() == (30, "0", "1")
    run = records.only_flow_run("sums")
    by_id = {t["id"]: t for t in records.task_runs(run["id"])}
    names = {
        (by_id[e["upstream_id"]]["name"], by_id[e["downstream_id"]]["name"], e["kind"])
        for e in records.edges(run["id"])
    }
    squares = sorted(n for n in (t["name"] for t in by_id.values()) if n.startswith("square"))
    assert len(squares) == 5
    total_run = next(t for t in by_id.values() if t["name"].startswith("total"))
    assert {(up, total_run["name"], "data") for up in squares} <= names
    assert len([n for n in names if n[1] == total_run["name"]]) == 5  # 1 (the small int) draws none
    labels = sorted((t for t in by_id.values() if t["name"].startswith("label")), key=lambda t: t["name"])
    into_labels = [n for n in names if n[1].startswith("label")]
    assert len(into_labels) == 1 and into_labels[0][0] == squares[0]
    assert len(total_run["task_inputs"]["rows"]) == 5 and total_run["task_inputs"]["scale"] == []
    assert len(labels) == 2


def test_failed_upstream_leaves_downstream_not_ready_without_running_it(records):
    ran = []

    @task
    def after(x):
        ran.append(x)

    @flow
    def chain():
        bad = boom.submit("up")
        downstream = after.submit(bad)
        downstream.wait()
        return downstream.state

    state = chain(return_state=True).result(raise_on_failure=False)
    assert state.is_pending() and state.name == "NotReady"
    assert "did not reach a 'COMPLETED' state" in state.message
    assert ran == []
    [run] = records.flow_runs(flow_name="chain")
    recorded = {t["name"].split("-")[0]: t for t in records.task_runs(run["id"])}
    assert (recorded["after"]["state_type"], recorded["after"]["state_name"]) == ("PENDING", "NotReady")


def test_subflow_is_linked_to_parent(records):
    @flow
    def child(x: int) -> int:
        return add(x, 1)

    @flow
    def parent() -> int:
        return child(1) + child(2)

    assert parent() == 5
    parent_run = records.only_flow_run("parent")
    children = records.flow_runs(flow_name="child")
    assert len(children) == 2
    stand_ins = {t["id"]: t for t in records.task_runs(parent_run["id"])}
    for run in children:
        assert run["parent_flow_run_id"] == parent_run["id"]
        assert run["state_type"] == "COMPLETED"
        stand_in = stand_ins[run["parent_task_run_id"]]
        assert stand_in["state_type"] == "COMPLETED" and stand_in["task_key"] == "subflow:child"
        assert [t["name"] for t in records.task_runs(run["id"])] == ["add-0"]


def test_tasks_outside_a_flow_still_run_and_are_recorded(records):
    assert add(2, 3) == 5
    state = add(2, 3, return_state=True)
    from jupyter_orch.client import get_client

    get_client().flush()
    tr = records.task_run(state.task_run_id)
    assert tr["flow_run_id"] is None and tr["state_type"] == "COMPLETED"
    assert len(records.task_runs()) == 2


def test_decorator_forms_and_with_options(records):
    @task(name="renamed", retries=1)
    def t1():
        return 1

    t2 = t1.with_options(name="other", retries=3)
    assert (t1.name, t1.retries, t2.name, t2.retries) == ("renamed", 1, "other", 3)

    @flow(name="My Flow")
    def f():
        return t1() + t2()

    assert f() == 2
    assert f.with_options(name="x").name == "x"
    run = records.only_flow_run("My Flow")
    assert sorted(t["name"] for t in records.task_runs(run["id"])) == ["other-0", "renamed-0"]


def test_flow_runs_record_the_flow_version(records):
    @flow(version="2026.12")
    def versioned() -> int:
        return 1

    @flow
    def hashed() -> int:
        return 2

    versioned()
    hashed()
    assert records.only_flow_run("versioned")["flow_version"] == "2026.12"
    assert records.only_flow_run("hashed")["flow_version"] == hashed.version  # the file's hash
    assert len(hashed.version) == 32
