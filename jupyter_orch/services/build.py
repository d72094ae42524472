"""The one place the background services are assembled: `build(settings)`.

The Jupyter server extension builds them from its traits, `serve()` from the environment (without
the local worker and notifications: it runs its own worker for its deployments). Each is a
`Service`; the order of the answer is the order to start them in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module

from jupyter_orch.orchestration.store.schedules import Window
from jupyter_orch.services.base import Service
from jupyter_orch.services.crash_detection import CrashDetectionService
from jupyter_orch.services.late_runs import LateRunsService
from jupyter_orch.services.local_worker import LocalWorkerService
from jupyter_orch.services.notifications import NotificationService
from jupyter_orch.services.scheduler import SchedulerService
from jupyter_orch.settings import Settings

#: the built-in services, in start order
NAMES = ("scheduler", "late_runs", "crash_detection", "notifications", "local_worker")

log = logging.getLogger("jupyter_orch.services")


@dataclass(frozen=True)
class ServiceSettings:
    """What the services are built from (the server's `c.OrchApp.*` traits carry the same names)."""

    database_url: str
    scheduler_interval: float = 10.0
    #: 0: the scheduler's default (3 x interval, at least 2 s)
    scheduler_lease_ttl: float = 0.0
    scheduler_min_runs: int = 3
    scheduler_max_runs: int = 100
    scheduler_min_time: float = 3600.0
    late_runs_interval: float = 5.0
    heartbeat_timeout: float = 120.0
    local_worker: bool = True
    kernel_pool_size: int = 1
    notifications: bool = True
    #: names (of `NAMES` or `extra`) not to run
    disabled: frozenset[str] = field(default_factory=frozenset)
    #: more services, each "module:factory" (`factory(settings)` returns a `Service`), named after
    #: the factory and started after the built-in ones
    extra: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, **options: object) -> ServiceSettings:
        return cls(database_url=settings.database_url, **options)  # type: ignore[arg-type]


def build(settings: ServiceSettings) -> dict[str, Service | None]:
    """Every service by name, in start order; None for one turned off (the health route shows it
    "disabled")."""
    url = settings.database_url
    wanted = {
        "scheduler": True,
        "late_runs": True,
        "crash_detection": True,
        "notifications": settings.notifications,
        "local_worker": settings.local_worker,
    }
    out: dict[str, Service | None] = {}
    for name in NAMES:
        out[name] = _make(name, settings, url) if wanted[name] and name not in settings.disabled else None
    for spec in settings.extra:
        module, _, attr = spec.partition(":")
        if attr not in settings.disabled:
            out[attr] = _extra(module, attr, settings)
    return out


def check_extra(specs: tuple[str, ...] | list[str]) -> None:
    """Import each extra service's factory now: a misnamed one fails the server's start."""
    for spec in specs:
        module, _, attr = spec.partition(":")
        getattr(import_module(module), attr)


def _extra(module: str, attr: str, settings: ServiceSettings) -> Service:
    """A service from its factory; one that cannot be built stands in as `Unbuilt` (its start
    fails, so the server runs on and its health says "failed")."""
    try:
        factory: Callable[[ServiceSettings], Service] = getattr(import_module(module), attr)
        return factory(settings)
    except Exception as exc:
        log.exception("service %s:%s could not be built", module, attr)
        return Unbuilt(attr, exc)


class Unbuilt(Service):
    """Stands for a service whose factory failed: starting it raises that error."""

    def __init__(self, name: str, error: Exception) -> None:
        super().__init__()
        self.name = name
        self.error = error

    def run_once(self) -> None:
        raise self.error

    async def start(self) -> None:
        raise self.error


def _make(name: str, settings: ServiceSettings, url: str) -> Service:
    if name == "scheduler":
        window = Window(
            min_runs=settings.scheduler_min_runs,
            max_runs=settings.scheduler_max_runs,
            min_time=timedelta(seconds=settings.scheduler_min_time),
        )
        ttl = settings.scheduler_lease_ttl or None
        return SchedulerService(url, interval=settings.scheduler_interval, lease_ttl=ttl, window=window)
    if name == "late_runs":
        return LateRunsService(url, interval=settings.late_runs_interval)
    if name == "crash_detection":
        timeout = settings.heartbeat_timeout
        return CrashDetectionService(url, interval=min(5.0, timeout / 4), heartbeat_timeout=timeout)
    if name == "notifications":
        return NotificationService(url)
    return LocalWorkerService(url, kernel_pool_size=settings.kernel_pool_size)
