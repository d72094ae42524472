"""Code written for Prefect's engine modules runs with `prefect` renamed to `jupyter_orch`:
`flow_engine.run_flow*` with parameters by name (and a run record made beforehand), crashes
worded as Prefect's, `concurrency(...)` blocks over named limits, flow run inputs, and the small
modules around them (sorting, tmpchdir, the development base path)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from unittest import mock

import pytest

import jupyter_orch
from jupyter_orch import flow
from jupyter_orch.client import get_client
from jupyter_orch.client.schemas.sorting import FlowRunSort
from jupyter_orch.concurrency.asyncio import concurrency as aconcurrency
from jupyter_orch.concurrency.sync import concurrency
from jupyter_orch.context import FlowRunContext
from jupyter_orch.db.session import session_scope
from jupyter_orch.exceptions import ParameterTypeError
from jupyter_orch.flow_engine import FlowRunEngine, run_flow, run_flow_async, run_flow_sync
from jupyter_orch.input.actions import create_flow_run_input, delete_flow_run_input, read_flow_run_input
from jupyter_orch.orchestration.store import concurrency as limits
from jupyter_orch.utilities.callables import get_call_parameters
from jupyter_orch.utilities.filesystem import tmpchdir


def test_run_flow_sync_takes_parameters_by_name(records):
    @flow
    def bar(x: int, *rest, y: str = "a", **extra):
        return x, rest, y, extra

    parameters = get_call_parameters(bar.fn, ("4", 5), {"y": "b", "z": 1})
    assert run_flow_sync(bar, parameters=parameters) == (4, (5,), "b", {"z": 1})
    assert run_flow(bar, parameters={"x": 1}) == (1, (), "a", {})
    state = run_flow_sync(bar, parameters={"x": 2}, return_type="state")
    assert state.is_completed() and state.result() == (2, (), "a", {})
    assert [r["state_type"] for r in records.flow_runs(flow_name="bar")] == ["COMPLETED"] * 3


def test_run_flow_async_and_run_flow_of_an_async_flow(records):
    @flow
    async def double(n: int):
        return FlowRunContext.get().flow_run_id, 2 * n

    run_id, value = asyncio.run(run_flow(double, parameters={"n": "21"}))
    assert value == 42 and records.flow_run(run_id)["state_type"] == "COMPLETED"
    state = asyncio.run(run_flow_async(double, parameters={"n": 1}, return_type="state"))
    assert state.is_completed()


def test_run_flow_runs_the_record_it_is_given(records):
    @flow
    def named(who: str = "nobody"):
        return FlowRunContext.get().flow_run_id, who

    made = get_client().create_flow_run(flow_name="named", name="made-before", parameters={"who": "ann"})
    run_id, who = run_flow(named, flow_run=made)
    assert (run_id, who) == (made["id"], "ann")
    run = records.only_flow_run("named")
    assert run["name"] == "made-before" and run["state_type"] == "COMPLETED"


def test_invalid_parameters_fail_the_run_with_prefects_wording(records):
    @flow
    def typed(n: int):
        return n

    state = run_flow_sync(typed, parameters={"n": "FAIL!"}, return_type="state")
    assert state.is_failed()
    with pytest.raises(ParameterTypeError, match="Flow run received invalid parameters") as err:
        state.result()
    assert "parameter 'n': expected integer, got 'FAIL!'" in str(err.value)
    assert err.value.parameter == "n"
    assert records.only_flow_run("typed")["state_type"] == "FAILED"


def test_an_interrupt_before_the_body_crashes_the_recorded_run(records, monkeypatch):
    monkeypatch.setattr(FlowRunEngine, "begin_run", mock.MagicMock(side_effect=KeyboardInterrupt))
    ran = []

    @flow
    def never():
        ran.append(1)

    with pytest.raises(KeyboardInterrupt):
        never()
    assert ran == []
    assert records.only_flow_run("never")["state_type"] == "CRASHED"


def test_concurrency_blocks_hold_named_limits(records):
    with session_scope(records.url) as s:
        limits.create_limit(s, "db", 1)
    inside, peak, lock = [], [], threading.Lock()

    def work():
        with concurrency("db"):
            with lock:
                inside.append(1)
                peak.append(len(inside))
            time.sleep(0.05)
            with lock:
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(peak) == 1 and len(peak) == 3
    # a name without a limit never waits; a full limit waits until its timeout
    with concurrency(["db", "free"]), pytest.raises(TimeoutError), concurrency("db", timeout_seconds=0.2):
        pass
    with pytest.raises(ValueError, match="do not exist"), concurrency("unlimited", strict=True):
        pass


def test_async_concurrency_frees_its_slot_however_the_block_ends(records):
    with session_scope(records.url) as s:
        limits.create_limit(s, "api", 1)

    async def main():
        with pytest.raises(RuntimeError):
            async with aconcurrency("api"):
                raise RuntimeError("boom")
        async with aconcurrency("api", timeout_seconds=1):
            return "free again"

    assert asyncio.run(main()) == "free again"


def test_flow_run_inputs_round_trip(records):
    @flow
    def with_inputs():
        create_flow_run_input("answer", {"x": 42})
        got = read_flow_run_input("answer")
        delete_flow_run_input("answer")
        return got, read_flow_run_input("answer")

    assert with_inputs() == ({"x": 42}, None)


def test_small_prefect_modules(tmp_path):
    before = os.getcwd()
    with tmpchdir(tmp_path) as where:
        assert os.getcwd() == where == str(tmp_path)
    assert os.getcwd() == before
    assert FlowRunSort.EXPECTED_START_TIME_ASC == "EXPECTED_START_TIME_ASC"
    assert (jupyter_orch.__development_base_path__ / "jupyter_orch" / "__init__.py").is_file()
