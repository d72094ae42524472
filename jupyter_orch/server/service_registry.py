"""The running background services of one server, with a status for GET /health.

`OrchApp` hands it what `jupyter_orch.services.build` made (name -> service, None for one turned
off); it starts them in that order once the server listens, and stops them in reverse order on
shutdown. One service failing to start leaves the others running.
"""

from __future__ import annotations

import logging

from jupyter_orch.services.base import Service


class ServiceRegistry:
    """Starts, stops and reports the services of one server."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.services: dict[str, Service] = {}
        self.status: dict[str, str] = {}

    async def start_all(self, services: dict[str, Service | None]) -> None:
        for name, service in services.items():
            if service is None:
                self.status[name] = "disabled"
                continue
            try:
                await service.start()
            except Exception:
                self.log.exception("jupyter_orch: service %s failed to start", name)
                self.status[name] = "failed"
                continue
            self.services[name] = service
            self.status[name] = "running"

    async def stop_all(self) -> None:
        for name in reversed(list(self.services)):
            try:
                await self.services[name].stop()
                self.status[name] = "stopped"
            except Exception:
                self.log.exception("jupyter_orch: service %s failed to stop", name)
        self.services.clear()

    def snapshot(self) -> dict[str, str]:
        return dict(self.status)
