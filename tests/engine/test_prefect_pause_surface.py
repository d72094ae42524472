"""Pausing as Prefect's tests drive it: a pause key pauses once (a second pause with the same key
goes on at once), a paused state's `state_details` carries its `pause_key` and
`run_input_keyset`, a subflow cannot be suspended, and `server.models.flow_runs.update_flow_run`
moves a run to a deployment (what Prefect's suspend tests do first)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from jupyter_orch import flow
from jupyter_orch.client.orchestration import SyncPrefectClient
from jupyter_orch.context import FlowRunContext
from jupyter_orch.flow_runs import pause_flow_run, resume_flow_run, suspend_flow_run
from jupyter_orch.server.models.flow_runs import update_flow_run
from jupyter_orch.server.schemas.core import FlowRun as ServerFlowRun


def test_a_pause_key_pauses_once_and_the_paused_state_names_its_keys(records):
    seen = {}

    @flow
    def pauses_twice() -> str:
        seen["id"] = FlowRunContext.get().flow_run.id
        pause_flow_run(timeout=30, poll_interval=0.1, key="once")
        pause_flow_run(timeout=30, poll_interval=0.1, key="once")  # goes on at once
        return "done"

    def resumer() -> None:
        client = SyncPrefectClient()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "id" in seen and client.read_flow_run(seen["id"]).state.is_paused():
                details = client.read_flow_run(seen["id"]).state.state_details
                seen["keyset"] = (details.pause_key, details.run_input_keyset)
                resume_flow_run(seen["id"])
                return
            time.sleep(0.05)

    thread = threading.Thread(target=resumer)
    thread.start()
    assert pauses_twice() == "done"
    thread.join()
    assert seen["keyset"] == (
        "once",
        {"description": "once-description", "response": "once-response", "schema": "once-schema"},
    )


def test_a_subflow_cannot_be_suspended(records):
    @flow
    def child() -> None:
        suspend_flow_run()

    @flow
    def parent() -> None:
        child()

    with pytest.raises(RuntimeError, match="Cannot suspend subflows."):
        parent()


def test_update_flow_run_moves_a_run_to_a_deployment(records):
    client = SyncPrefectClient()
    row = client.orch.create_deployment({"flow_name": "moved", "name": "here"})

    @flow(name="moved")
    def moved() -> None:
        return None

    flow_run = client.create_flow_run(moved)
    change = ServerFlowRun.model_construct(deployment_id=row["id"])
    assert asyncio.run(update_flow_run(None, flow_run.id, change))
    assert str(client.read_flow_run(flow_run.id).deployment_id) == row["id"]
