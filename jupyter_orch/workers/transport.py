"""How workers, `serve()` and `run_deployment()` reach the orchestration API.

`DBTransport` calls the store in-process (the embedded SQLite or a shared PostgreSQL);
`HTTPTransport` calls a server's REST API (when JUPYTER_ORCH_API_URL is set). Both speak plain
dicts in the REST API's shapes, so callers do not care which one they hold.
"""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from jupyter_orch.states import State


class Transport(abc.ABC):
    @abc.abstractmethod
    def heartbeat(self, pool: str, worker: str, running: list[str]) -> dict[str, str]:
        """Register/refresh the worker and its runs; answers {run_id: state_type}."""

    @abc.abstractmethod
    def claim(
        self,
        pool: str,
        worker: str,
        limit: int,
        deployment_ids: list[str] | None = None,
        queues: list[str] | None = None,
        scheduled_before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Claim due runs; each run dict carries a "deployment" with what executing it needs.

        With `scheduled_before` in the future, runs due by then are claimed ahead (their state is
        PENDING with the `scheduled_time` to start them at).
        """

    @abc.abstractmethod
    def read_flow_run(self, run_id: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def set_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]: ...

    def set_states(self, proposals: list[tuple[str, State]]) -> dict[str, dict[str, Any]]:
        """Propose a state for each of many runs in one call: {run_id: answer}, each answer what
        `set_state(run_id, state)` would give (same rules, same compare-and-set; one transaction on
        the database, one request over HTTP). A worker starts its due prepared runs with it."""
        return {run_id: self.set_state(run_id, state) for run_id, state in proposals}

    @abc.abstractmethod
    def write_logs(self, records: list[dict[str, Any]]) -> None: ...

    def update_flow_run(self, run_id: str, **fields: Any) -> None:
        """Change descriptive fields (`progress`, `output_location`, ...) of a run."""
        raise NotImplementedError

    @abc.abstractmethod
    def apply_deployment(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def read_deployment(self, name_or_id: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def create_flow_run_from_deployment(self, deployment_id: str, **fields: Any) -> dict[str, Any]: ...

    def close(self) -> None:
        return None


def deployment_exec_info(dep: Any) -> dict[str, Any]:
    """What an executor needs of a deployment (from a row or a dict)."""
    get = dep.get if isinstance(dep, dict) else lambda k: getattr(dep, k)
    return {
        k: get(k)
        for k in ("id", "name", "flow_name", "kind", "entrypoint", "path", "storage", "job_variables")
    }


def get_transport(db_url: str | None = None) -> Transport:
    """HTTP when JUPYTER_ORCH_API_URL is set (and no database URL is forced), else the database."""
    from jupyter_orch.settings import get_settings

    settings = get_settings()
    if settings.api_url and db_url is None:
        from jupyter_orch.workers.http_transport import HTTPTransport

        return HTTPTransport(settings.api_url, settings.api_token)
    from jupyter_orch.workers.db_transport import DBTransport

    return DBTransport(db_url or settings.database_url)
