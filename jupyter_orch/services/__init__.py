"""Background services of the orchestration server; `default_services()` builds the standard set.

Each service has `async start()`/`async stop()` (for the server's registry), `launch()`/`halt()`
(for scripts and tests), `run_once()` and `status()`.
"""

from __future__ import annotations

from jupyter_orch.services.base import Service
from jupyter_orch.services.crash_detection import CrashDetectionService
from jupyter_orch.services.late_runs import LateRunsService
from jupyter_orch.services.notifications import NotificationService
from jupyter_orch.services.scheduler import SchedulerService

__all__ = [
    "CrashDetectionService",
    "LateRunsService",
    "NotificationService",
    "SchedulerService",
    "Service",
    "default_services",
]


def default_services(
    db_url: str | None = None,
    local_worker: bool = True,
    scheduler_interval: float = 5.0,
    late_after: float = 15.0,
    heartbeat_timeout: float = 30.0,
    worker_pool: str = "default",
    worker_poll_interval: float = 0.5,
) -> list[Service]:
    """The services a server runs: scheduler, late runs, crash detection, notifications, worker."""
    services: list[Service] = [
        SchedulerService(db_url, interval=scheduler_interval),
        LateRunsService(db_url, late_after=late_after),
        CrashDetectionService(db_url, heartbeat_timeout=heartbeat_timeout),
        NotificationService(db_url),
    ]
    if local_worker:
        from jupyter_orch.services.local_worker import LocalWorkerService

        services.append(LocalWorkerService(db_url, pool=worker_pool, poll_interval=worker_poll_interval))
    return services
