"""Prefect's `prefect.workers.base`: the base classes of a worker type. A job configuration is
what one flow run's job needs (command, environment, labels, name); a worker type names itself
(`type`), its configuration class, and runs a flow run's job (`run`). jupyter-orch's own worker
(`jupyter_orch.workers.worker.Worker`) runs notebook and flow runs itself; these classes are for
code written against Prefect's worker interface."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, Field

__all__ = ["BaseJobConfiguration", "BaseWorker", "BaseWorkerResult"]


class BaseJobConfiguration(BaseModel):
    command: str | None = Field(None, description="the command that starts the flow run")
    env: dict[str, str | None] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    name: str | None = None

    def prepare_for_flow_run(self, flow_run: Any, deployment: Any = None, flow: Any = None) -> None:
        """Fill in what comes from the flow run: its id in the environment and labels, its name."""
        run_id = str(getattr(flow_run, "id", ""))
        self.env = {**self.env, "PREFECT__FLOW_RUN_ID": run_id}
        self.labels = {**self.labels, "prefect.io/flow-run-id": run_id}
        if getattr(flow_run, "name", None):
            self.labels["prefect.io/flow-run-name"] = flow_run.name
            self.name = self.name or flow_run.name
        if deployment is not None and getattr(deployment, "id", None):
            self.labels["prefect.io/deployment-id"] = str(deployment.id)
        if flow is not None and getattr(flow, "name", None):
            self.labels["prefect.io/flow-name"] = flow.name


class BaseWorkerResult(BaseModel):
    identifier: str
    status_code: int

    def __bool__(self) -> bool:
        return self.status_code == 0


#: Prefect's type parameters of a worker: its job configuration, variables and result types
C = TypeVar("C")
V = TypeVar("V")
R = TypeVar("R")


class BaseWorker(Generic[C, V, R]):
    """A worker type: subclasses set `type` and `job_configuration` and implement `run`
    (`BaseWorker[Config, Variables, Result]` as Prefect's, the parameters are for type checkers)."""

    type: ClassVar[str] = "base"
    job_configuration: ClassVar[type[BaseJobConfiguration]] = BaseJobConfiguration

    def __init__(
        self, work_pool_name: str, name: str | None = None, limit: int | None = None, **_: Any
    ) -> None:
        self.work_pool_name = work_pool_name
        self.name = name or f"{type(self).__name__} {socket.gethostname()}-{os.getpid()}"
        self.limit = limit
        #: the worker's id once registered with the API (its records then carry it)
        self.backend_id: str | None = None
        self._logger: logging.Logger | logging.LoggerAdapter = logging.getLogger(
            f"jupyter_orch.workers.{self.type}.{self.name.lower()}"
        )

    async def _send_worker_heartbeat(self, *args: Any, **kwargs: Any) -> Any:
        """The worker's id from its backend (Prefect Cloud answers one); none here."""
        return None

    async def sync_with_backend(self) -> None:
        """Register with the backend: once it answers an id, the worker's records carry it
        (`worker_id` on each log record, as Prefect's worker logger)."""
        backend_id = await self._send_worker_heartbeat()
        if backend_id is not None:
            self.backend_id = str(backend_id)
            self._logger = logging.LoggerAdapter(self._logger, {"worker_id": self.backend_id})

    def get_name_slug(self) -> str:
        return "-".join(self.name.lower().split())

    async def run(
        self, flow_run: Any, configuration: BaseJobConfiguration, task_status: Any = None
    ) -> BaseWorkerResult:
        raise NotImplementedError(f"{type(self).__name__} must implement run()")

    async def __aenter__(self) -> BaseWorker:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None
