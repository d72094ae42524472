"""The server's local worker claims on a run's SCHEDULED event instead of at its next poll: the
event hub's in-process listeners and the wakeable stop event its loop sleeps on."""

from __future__ import annotations

import threading

from jupyter_orch.orchestration.events import EventHub
from jupyter_orch.services.local_worker import LocalWorkerService, WakeableStop


def sleeper(stop: WakeableStop, seconds: float = 120.0) -> threading.Thread:
    """A thread sleeping on `stop` as the worker loop does between polls."""
    thread = threading.Thread(target=stop.wait, args=(seconds,), daemon=True)
    thread.start()
    return thread


def test_listeners_get_every_batch_until_stopped() -> None:
    hub = EventHub()
    assert not hub.active
    got: list[list[dict]] = []
    stop = hub.listen(got.append)
    assert hub.active  # the feed reads while an in-process listener is there
    hub.publish([{"kind": "log", "id": 1}])
    stop()
    hub.publish([{"kind": "log", "id": 2}])
    assert got == [[{"kind": "log", "id": 1}]]
    assert not hub.active


def test_a_failing_listener_never_stops_the_others() -> None:
    hub = EventHub()
    got: list[list[dict]] = []
    hub.listen(lambda events: 1 / 0)
    hub.listen(got.append)
    hub.publish([{"kind": "log", "id": 1}])
    assert got == [[{"kind": "log", "id": 1}]]


def test_wake_ends_the_sleep_but_does_not_stop() -> None:
    stop = WakeableStop()
    thread = sleeper(stop)
    stop.wake()
    thread.join(30)
    assert not thread.is_alive() and not stop.is_set()
    thread = sleeper(stop)
    stop.set()
    thread.join(30)
    assert not thread.is_alive() and stop.is_set()
    assert stop.wait(120)  # once stopped, waits return at once


def test_the_local_worker_wakes_on_a_scheduled_run_only(tmp_path) -> None:
    service = LocalWorkerService(f"sqlite:///{tmp_path / 'orch.db'}", kernel_pool_size=0)
    hub = EventHub()
    service.follow(hub)
    stop = service._stop
    thread = sleeper(stop)
    hub.publish([{"kind": "flow_run", "id": "r", "state_type": "RUNNING"}, {"kind": "log", "id": 1}])
    thread.join(0.2)
    assert thread.is_alive()  # not woken by other changes
    hub.publish([{"kind": "flow_run", "id": "r2", "state_type": "SCHEDULED"}])
    thread.join(30)
    assert not thread.is_alive() and not stop.is_set()
