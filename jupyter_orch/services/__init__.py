"""Background services of the orchestration server: scheduler, late runs, crash detection,
notifications and the built-in local worker; `build(settings)` assembles them (`services.build`).

Each is a `Service` (`services.base`): `async start()`/`async stop()` for the server,
`launch()`/`halt()` for scripts, tests and `serve()`, `run_once()` and `status()`.
"""

from __future__ import annotations

from jupyter_orch.services.base import Service
from jupyter_orch.services.build import ServiceSettings, build, check_extra
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
    "ServiceSettings",
    "build",
    "check_extra",
]
