"""EventWatcher against the database in this process, on SQLite and PostgreSQL: it wakes for the
runs its filter names and stays asleep for others."""

from __future__ import annotations

import time

from jupyter_orch.client import local_client
from jupyter_orch.client.events import EventWatcher
from jupyter_orch.states import Completed, Running


def test_watcher_wakes_for_its_run_only(orch_env: str) -> None:
    client = local_client(orch_env)
    mine = client.create_flow_run(flow_name="watched", name="mine")["id"]
    other = client.create_flow_run(flow_name="watched", name="other")["id"]
    with EventWatcher(kinds=["flow_run"], flow_run_id=mine) as watcher:
        assert watcher.connected.wait(30)
        assert client.set_flow_run_state(other, Running())["status"] == "ACCEPT"
        assert not watcher.wait(1.0)  # another run's change does not wake it
        assert client.set_flow_run_state(mine, Running())["status"] == "ACCEPT"
        deadline = time.monotonic() + 30
        while not watcher.wait(0.5):
            assert time.monotonic() < deadline, "no event for the watched run"
        assert client.set_flow_run_state(mine, Completed())["status"] == "ACCEPT"
        assert watcher.wait(30)
    client.close()
