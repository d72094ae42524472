"""Registers the orchestration services with the server extension (`OrchApp.service_modules`).

Configuration comes from the app's traits; `c.OrchApp.local_worker = False` (or listing
"local_worker" in `disabled_services`) turns the built-in worker off.
"""

from __future__ import annotations

from typing import Any

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


register_service("scheduler", lambda app: SchedulerService(_url(app), interval=app.scheduler_interval))
register_service("late_runs", lambda app: LateRunsService(_url(app), interval=app.late_runs_interval))
register_service(
    "crash_detection",
    lambda app: CrashDetectionService(
        _url(app), interval=min(5.0, app.heartbeat_timeout / 4), heartbeat_timeout=app.heartbeat_timeout
    ),
)
register_service("notifications", lambda app: NotificationService(_url(app)))
register_service("local_worker", _local_worker)
