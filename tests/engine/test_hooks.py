"""State-change hooks in the flow's own process: which run for which final state, the arguments
they get, decorators, and a failing hook that is logged and changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from jupyter_orch import flow, task


def test_task_hooks(records):
    seen = []

    def done(task, task_run, state):
        seen.append(("done", task.name, task_run.name, state.name, task_run.flow_run_id is not None))

    @task(on_completion=[done], retries=1)
    def ok(x: int) -> int:
        return x

    @task(retries=1)
    def bad() -> None:
        raise ValueError("no")

    @bad.on_failure
    def failed(task, task_run, state):
        seen.append(("failed", task.name, task_run.run_count, state.type.value))

    @flow
    def hooked():
        ok(1)
        bad(return_state=True)

    hooked()
    assert seen == [("done", "ok", "ok-0", "Completed", True), ("failed", "bad", 2, "FAILED")]


def test_flow_hooks_for_each_final_state(records):
    seen = []

    def record(label):
        return lambda flow, flow_run, state: seen.append((label, flow.name, flow_run.name, state.name))

    @flow(on_completion=[record("completion")], on_running=[record("running")])
    def fine():
        return 1

    @flow(on_failure=[record("failure")], retries=1)
    def failing():
        raise RuntimeError("x")

    @flow
    def crashing():
        raise KeyboardInterrupt

    crashing.on_crashed(record("crashed"))

    fine()
    run = records.only_flow_run("fine")
    assert seen == [
        ("running", "fine", run["name"], "Running"),
        ("completion", "fine", run["name"], "Completed"),
    ]
    seen.clear()
    failing(return_state=True)
    assert [s[0] for s in seen] == ["failure"]  # once: after the retry, not for the first failure
    seen.clear()
    with pytest.raises(KeyboardInterrupt):
        crashing()
    assert [s[0] for s in seen] == ["crashed"]


def test_a_failing_hook_is_logged_and_changes_nothing(records):
    def broken(flow, flow_run, state):
        raise RuntimeError("hook broke")

    after = []

    @flow(on_completion=[broken, lambda f, r, s: after.append(s.name)])
    def survives():
        return 5

    assert survives() == 5 and after == ["Completed"]
    run = records.only_flow_run("survives")
    assert run["state_type"] == "COMPLETED"
    messages = [log["message"] for log in records.logs(flow_run_id=run["id"])]
    assert any("An error was encountered while running hook 'broken'" in m for m in messages)
    assert any("Hook '<lambda>' finished running successfully" in m for m in messages)


def test_hooks_must_be_a_list_of_callables():
    with pytest.raises(TypeError, match="Expected iterable for 'on_completion'"):
        flow(on_completion=lambda *a: None)(lambda: None)
    with pytest.raises(TypeError, match="Expected callables in 'on_failure'"):
        task(on_failure=["nope"])(lambda: None)


def test_task_on_running_fires_before_the_body_on_every_attempt(records):
    seen = []

    def started(task, task_run, state):
        seen.append(("hook", task.name, task_run.run_count, state.name))

    @task(on_running=[started], retries=2)
    def flaky() -> int:
        seen.append("body")
        if len([s for s in seen if s == "body"]) < 2:
            raise ValueError("once")
        return 1

    @task
    def plain() -> None:
        pass

    @plain.on_running
    def also(task, task_run, state):
        seen.append(("decorated", state.type.value))

    @flow
    def starts():
        flaky()
        plain()
        plain.with_options(name="copy")()

    starts()
    assert seen == [
        ("hook", "flaky", 1, "Running"),
        "body",
        ("hook", "flaky", 2, "Retrying"),
        "body",
        ("decorated", "RUNNING"),
        ("decorated", "RUNNING"),
    ]


def test_hooks_receive_prefects_run_types(records):
    """`FlowRun` / `TaskRun` from `jupyter_orch.client.schemas.objects`, as Prefect users type hooks."""
    from jupyter_orch.client.schemas.objects import FlowRun, State, TaskRun

    got = []

    def on_task(task, task_run: TaskRun, state: State) -> None:
        got.append(isinstance(task_run, TaskRun) and task_run.name == "typed-0")

    def on_flow(flow, flow_run: FlowRun, state: State) -> None:
        got.append(
            isinstance(flow_run, FlowRun) and isinstance(state, State) and flow_run.flow_name == "typed-flow"
        )

    @task(name="typed", on_completion=[on_task])
    def typed() -> None:
        pass

    @flow(on_completion=[on_flow])
    def typed_flow() -> None:
        typed()

    typed_flow()
    assert got == [True, True]


def test_flow_hook_sees_the_runs_record_once_retries_are_spent(records):
    """Prefect's docs' notification hook reads `flow_run.expected_start_time` (and the run's flow
    id); with `retries=1` it runs once, after the last attempt."""
    seen = []

    def notify(flow, flow_run, state) -> None:
        seen.append((flow_run.expected_start_time, flow_run.flow_id, state.name, flow_run.run_count))

    @flow(on_failure=[notify], retries=1)
    def failing_flow() -> None:
        raise ValueError("oops!")

    state = failing_flow(return_state=True)
    run = records.only_flow_run("failing-flow")
    assert state.is_failed() and len(seen) == 1
    expected, flow_id, name, run_count = seen[0]
    assert isinstance(expected, datetime) and expected.tzinfo is not None
    assert str(flow_id) == run["flow_id"] and name == "Failed" and run_count == 2


def test_flow_hooks_run_in_the_flow_runs_context_and_for_cancelling(records, monkeypatch):
    from jupyter_orch.context import get_run_context
    from jupyter_orch.states import State, StateType

    seen = []

    def hook(flow, flow_run, state):
        ctx = get_run_context()
        seen.append((state.name, ctx.flow is flow, ctx.flow_run.id == flow_run.id))

    @flow(on_cancellation=[hook], on_failure=[hook])
    def stopping(x: int):
        return State(type=StateType.CANCELLING)

    stopping(1, return_state=True)
    stopping("not a number", return_state=True)  # refused parameters: Failed, the hook runs
    assert seen == [("Cancelling", True, True), ("Failed", True, True)]
    monkeypatch.setenv("PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS", "false")
    assert stopping(2, return_state=True).type == StateType.CANCELLING
    assert len(seen) == 2  # Prefect's switch turns the cancellation and crashed hooks off
    assert [r["state_type"] for r in records.flow_runs(flow_name="stopping")].count("FAILED") == 1
