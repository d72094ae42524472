"""Prefect's client methods for deployments and work pools, mixed into `SyncPrefectClient` (and,
as coroutines, `PrefectClient`): `create_flow_from_name`, `create_deployment`,
`read_deployment_by_name`, `read_deployment`, `read_work_pool`, `read_workers_for_work_pool`,
answered with Prefect's attribute names
(UUID ids, `schedules[i].schedule` as a CronSchedule/IntervalSchedule object,
`global_concurrency_limit.limit`)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from jupyter_orch.client import OrchClient
from jupyter_orch.client.transport import ApiNotFound
from jupyter_orch.exceptions import ObjectNotFound
from jupyter_orch.scheduling import parse_schedule
from jupyter_orch.states import _parse_dt


def _schedule(row: dict[str, Any]) -> SimpleNamespace:
    spec = row.get("schedule", row)
    return SimpleNamespace(
        id=uuid.UUID(row["id"]) if row.get("id") else None,
        active=row.get("active", True),
        schedule=parse_schedule(spec),
    )


def _schedule_in(given: Any) -> dict[str, Any]:
    """A schedule to create: a mapping as the API takes it, or an object with `.schedule` (Prefect's
    DeploymentScheduleCreate) or a schedule itself."""
    if isinstance(given, dict):
        return given
    schedule = getattr(given, "schedule", given)
    return {**schedule.to_dict(), "active": getattr(given, "active", True)}


def deployment_from_api(row: dict[str, Any]) -> SimpleNamespace:
    """A deployment as the API answers it, as Prefect's `DeploymentResponse`."""
    fields = dict(row)
    for key in ("id", "flow_id"):
        if fields.get(key):
            fields[key] = uuid.UUID(str(fields[key]))
    for key in ("created", "updated"):
        if fields.get(key):
            fields[key] = _parse_dt(fields[key])
    fields["schedules"] = [_schedule(s) for s in row.get("schedules") or []]
    limit = row.get("concurrency_limit")
    fields["global_concurrency_limit"] = SimpleNamespace(limit=limit) if limit else None
    fields.setdefault("enforce_parameter_schema", bool(row.get("parameter_openapi_schema")))
    return SimpleNamespace(**fields)


class DeploymentMethods:
    """Reads of deployments and work pools (see the module's docstring)."""

    def _fresh(self) -> OrchClient:  # pragma: no cover - SyncPrefectClient's
        raise NotImplementedError

    def _get(self, path: str, what: str) -> Any:
        try:
            return self._fresh().get(path)
        except ApiNotFound as exc:
            raise ObjectNotFound(f"{what} not found") from exc

    def create_flow_from_name(self, flow_name: str) -> uuid.UUID:
        """The id of the flow of that name (created if new)."""
        return uuid.UUID(self._fresh().post("flows", {"name": flow_name})["id"])

    def create_deployment(
        self,
        flow_id: Any,
        name: str,
        version: str | None = None,
        schedules: list[Any] | None = None,
        parameters: dict[str, Any] | None = None,
        description: str | None = None,
        work_queue_name: str | None = None,
        work_pool_name: str | None = None,
        tags: list[str] | None = None,
        entrypoint: str | None = None,
        path: str | None = None,
        parameter_openapi_schema: dict[str, Any] | None = None,
        paused: bool | None = None,
        job_variables: dict[str, Any] | None = None,
        concurrency_limit: int | None = None,
        **_prefect_only: Any,  # storage documents, pull steps, infrastructure: not ours
    ) -> uuid.UUID:
        """Create (or update) the deployment `name` of the flow `flow_id`; its id."""
        flow = self._get(f"flows/{flow_id}", f"Flow {flow_id}")
        given = {
            "version": version,
            "schedules": [_schedule_in(s) for s in schedules] if schedules else None,
            "parameters": parameters,
            "description": description,
            "work_queue_name": work_queue_name,
            "work_pool_name": work_pool_name,
            "tags": tags,
            "entrypoint": entrypoint,
            "path": path,
            "parameter_openapi_schema": parameter_openapi_schema,
            "paused": paused,
            "job_variables": job_variables,
            "concurrency_limit": concurrency_limit,
        }
        payload = {k: v for k, v in given.items() if v is not None}
        payload.update(flow_name=flow["name"], name=name)
        return uuid.UUID(self._fresh().create_deployment(payload)["id"])

    def read_deployment_by_name(self, name: str) -> SimpleNamespace:
        """By `flow-name/deployment-name`; ObjectNotFound when there is none."""
        flow, _, dep = name.partition("/")
        path = f"deployments/name/{quote(flow, safe='')}/{quote(dep, safe='')}"
        return deployment_from_api(self._get(path, f"Deployment {name!r}"))

    def read_deployment(self, deployment_id: Any) -> SimpleNamespace:
        return deployment_from_api(self._get(f"deployments/{deployment_id}", f"Deployment {deployment_id}"))

    def read_work_pool(self, work_pool_name: str) -> SimpleNamespace:
        """The pool of that name; ObjectNotFound when there is none."""
        row = self._get(f"work_pools/{quote(work_pool_name, safe='')}", f"Work pool {work_pool_name!r}")
        return SimpleNamespace(**{**row, "id": uuid.UUID(str(row["id"])) if row.get("id") else None})

    def read_workers_for_work_pool(self, work_pool_name: str, **_filters: Any) -> list[SimpleNamespace]:
        """The workers of that pool that have sent a heartbeat."""
        page = self._fresh().get("workers", work_pool_name=work_pool_name)
        return [SimpleNamespace(**row) for row in page["items"]]


__all__ = ["DeploymentMethods", "deployment_from_api"]
