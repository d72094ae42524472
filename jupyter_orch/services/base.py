"""A background service: `run_once()` called every `interval` seconds on its own thread.

The server's event loop only ever awaits `start()`/`stop()`, which hand the thread work to an
executor, so a slow database pass never blocks a request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

log = logging.getLogger("jupyter_orch.services")


class Service:
    """Subclasses implement `run_once()`; errors are logged and the loop carries on."""

    name = "service"

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.last_error: str | None = None

    def run_once(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def wait_after(self, elapsed: float) -> float:
        """Seconds to wait after a pass that took `elapsed`: the rest of `interval`; a service
        that knows when its next work is due may wake sooner."""
        return self.interval - elapsed

    def on_stop(self) -> None:
        """Called on the service thread after the last pass (release leases, child processes)."""

    # -- synchronous control (scripts, tests, `serve()`) ---------------------------------------
    def launch(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"jupyter-orch-{self.name}", daemon=True)
        self._thread.start()

    def halt(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    self.run_once()
                    self.last_error = None
                except Exception as exc:  # a service never dies of one bad pass
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("%s pass failed", self.name)
                self.passes += 1
                self._stop.wait(max(0.0, self.wait_after(time.monotonic() - began)))
        finally:
            try:
                self.on_stop()
            except Exception:
                log.exception("%s failed to stop cleanly", self.name)

    # -- asynchronous control (the server's services registry) ---------------------------------
    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.launch)

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.halt)

    def status(self) -> dict[str, object]:
        return {"running": self.running, "passes": self.passes, "last_error": self.last_error}
