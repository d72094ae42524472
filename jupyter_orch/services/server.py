"""Registers the orchestration services with the server extension (`OrchApp.service_modules`).

Configuration comes from the app's traits; `c.OrchApp.local_worker = False` (or listing
"local_worker" in `disabled_services`) turns the built-in worker off.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jupyter_orch.orchestration.store.schedules import Window
from jupyter_orch.server.services import register_service
from jupyter_orch.services.crash_detection import CrashDetectionService
from jupyter_orch.services.late_runs import LateRunsService
from jupyter_orch.services.notifications import NotificationService
from jupyter_orch.services.scheduler import SchedulerService


def _url(app: Any) -> str:
    return app.database_url


def _local_worker(app: Any) -> Any:
    if not getattr(app, "local_worker", True):
        return None
    from jupyter_orch.services.local_worker import LocalWorkerService

    return LocalWorkerService(_url(app), kernel_pool_size=getattr(app, "kernel_pool_size", 1))


def _scheduler(app: Any) -> SchedulerService:
    window = Window(
        min_runs=app.scheduler_min_runs,
        max_runs=app.scheduler_max_runs,
        min_time=timedelta(seconds=app.scheduler_min_time),
    )
    ttl = app.scheduler_lease_ttl or None  # 0: the service's default (3 x interval, at least 2 s)
    return SchedulerService(_url(app), interval=app.scheduler_interval, lease_ttl=ttl, window=window)


register_service("scheduler", _scheduler)
register_service("late_runs", lambda app: LateRunsService(_url(app), interval=app.late_runs_interval))
register_service(
    "crash_detection",
    lambda app: CrashDetectionService(
        _url(app), interval=min(5.0, app.heartbeat_timeout / 4), heartbeat_timeout=app.heartbeat_timeout
    ),
)
register_service("notifications", lambda app: NotificationService(_url(app)))
register_service("local_worker", _local_worker)
