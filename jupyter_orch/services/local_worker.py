"""The built-in worker of the server extension, so `jupyter lab` alone runs scheduled runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

from jupyter_orch.client import local_client
from jupyter_orch.orchestration.events.hub import Event, EventHub
from jupyter_orch.services.base import Service
from jupyter_orch.workers.worker import Worker


class WakeableStop(threading.Event):
    """The worker loop's stop event, whose `wait` (the loop's sleep between polls) also ends on
    `wake()`: the worker claims at once instead of at its next poll."""

    def __init__(self) -> None:
        super().__init__()
        self._woken = threading.Event()

    def wake(self) -> None:
        self._woken.set()

    def set(self) -> None:
        super().set()
        self._woken.set()

    def wait(self, timeout: float | None = None) -> bool:
        if not self.is_set():
            self._woken.wait(timeout)
            self._woken.clear()  # a wake after this is for the iteration about to run: it claims anyway
        return self.is_set()


class LocalWorkerService(Service):
    """Runs a `Worker` on the database directly (no HTTP round trip) in a background thread."""

    name = "local_worker"

    def __init__(
        self,
        db_url: str | None = None,
        pool: str = "default",
        poll_interval: float = 0.5,
        heartbeat_interval: float = 2.0,
        limit: int | None = None,
        kernel_pool_size: int = 1,
    ) -> None:
        super().__init__(interval=poll_interval)
        self.worker = Worker(
            pool=pool,
            name=f"local-{pool}",
            client=local_client(db_url),
            poll_interval=poll_interval,
            heartbeat_interval=heartbeat_interval,
            limit=limit,
            shutdown_grace=5.0,
            kernel_pool_size=kernel_pool_size,
        )
        #: the base's stop event, which `wake()` also ends the worker's sleep on
        self._stop = WakeableStop()
        self._unlisten: Callable[[], None] | None = None

    def follow(self, hub: EventHub) -> None:
        """Wake the worker when a run is scheduled (its event, from the server's live feed), so an
        ad hoc run is claimed within the feed's interval instead of at the next poll; polling stays
        for due scheduled runs and as the fallback."""
        if self._unlisten is not None:
            self._unlisten()
        self._unlisten = hub.listen(self._on_events)

    def _on_events(self, events: list[Event]) -> None:
        if any(e.get("kind") == "flow_run" and e.get("state_type") == "SCHEDULED" for e in events):
            self._stop.wake()

    def _loop(self) -> None:
        """The service thread runs the worker's own loop (it polls, claims and heartbeats)."""
        self.worker.run(self._stop)

    def halt(self, timeout: float = 15.0) -> None:
        super().halt(timeout)

    def run_once(self) -> None:
        self.worker.run_once()

    def status(self) -> dict[str, object]:
        return {"running": self.running, "pool": self.worker.pool, "active_runs": len(self.worker.running)}
