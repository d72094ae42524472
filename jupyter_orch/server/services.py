"""Background services (scheduler, late-run marker, heartbeat monitor, local worker) plug in here.

A service is any object with `async start()` and `async stop()`; a factory builds it from the
`OrchApp` (which carries the configuration and the `Database`). Register a factory once, at import
time of the module that defines the service:

    from jupyter_orch.server.services import register_service

    register_service("scheduler", lambda app: Scheduler(app.database, app.scheduler_interval))

`OrchApp` imports the modules listed in its `service_modules` trait, then starts every registered
service whose name is not in `disabled_services`, and stops them in reverse order on shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


ServiceFactory = Callable[[Any], Service | None]

#: name -> factory(app); a factory may return None to opt out (e.g. disabled by a trait).
SERVICE_FACTORIES: dict[str, ServiceFactory] = {}


def register_service(name: str, factory: ServiceFactory) -> None:
    SERVICE_FACTORIES[name] = factory


class ServiceRegistry:
    """The running services of one server, with a status for GET /health."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.services: dict[str, Service] = {}
        self.status: dict[str, str] = {}

    async def start_all(self, app: Any, disabled: set[str]) -> None:
        for name, factory in SERVICE_FACTORIES.items():
            if name in disabled:
                self.status[name] = "disabled"
                continue
            try:
                service = factory(app)
                if service is None:
                    self.status[name] = "disabled"
                    continue
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
