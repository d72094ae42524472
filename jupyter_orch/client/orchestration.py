"""Prefect's `prefect.client.orchestration`: `get_client()` answers a `PrefectClient` (async
methods) or, with `sync_client=True`, a `SyncPrefectClient`, both over this process's
`OrchClient`, whose reads they turn into Prefect's objects (`TaskRun`, `FlowRun`, `State`, `Log`
with Prefect's attribute names: UUID ids, `State` objects, `TaskRunResult` inputs)."""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from jupyter_orch.client import OrchClient
from jupyter_orch.client import get_client as _orch_client
from jupyter_orch.client.concurrency_limits import ConcurrencyLimitMethods
from jupyter_orch.client.deployments import DeploymentMethods
from jupyter_orch.client.schemas.filters import FlowFilter, FlowRunFilter, LogFilter, ids_of
from jupyter_orch.client.schemas.objects import FlowRun, Log, TaskRun, task_input
from jupyter_orch.orchestration.serialize import state_data
from jupyter_orch.parameters import jsonable
from jupyter_orch.states import Pending, State, _parse_dt, new_uuid

_TIMES = ("created", "updated", "start_time", "end_time", "expected_start_time", "state_timestamp")


def _uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def _state(row: dict[str, Any], flow_run_id: Any = None, task_run_id: Any = None) -> State | None:
    data = row.get("state")
    if not data:
        return None
    return State.from_api({**data, "flow_run_id": flow_run_id, "task_run_id": task_run_id})


def _common(row: dict[str, Any]) -> dict[str, Any]:
    fields = dict(row)
    for key in _TIMES:
        if key in fields:
            fields[key] = _parse_dt(fields[key])
    fields["id"] = _uuid(row["id"])
    total = row.get("total_run_time")
    fields["total_run_time"] = timedelta(seconds=total or 0)
    fields["tags"] = list(row.get("tags") or ())
    return fields


def task_run_from_api(row: dict[str, Any]) -> TaskRun:
    """A task run as the API answers it, as Prefect's `TaskRun`."""
    fields = _common(row)
    fields["flow_run_id"] = _uuid(row.get("flow_run_id"))
    fields["state"] = _state(row, row.get("flow_run_id"), row["id"])
    fields["task_inputs"] = {
        name: [task_input(ref) for ref in refs] for name, refs in (row.get("task_inputs") or {}).items()
    }
    fields.setdefault("task_version", None)
    fields.setdefault("flow_run_run_count", 0)
    fields.setdefault("expected_start_time", fields.get("created"))  # it started when it was made
    return TaskRun(**fields)


def flow_run_from_api(row: dict[str, Any]) -> FlowRun:
    """A flow run as the API answers it, as Prefect's `FlowRun`."""
    fields = _common(row)
    for key in ("flow_id", "deployment_id", "parent_task_run_id"):
        fields[key] = _uuid(row.get(key))
    # a subflow's states link to its stand-in task run in the parent (Prefect's state_details)
    fields["state"] = _state(row, row["id"], row.get("parent_task_run_id"))
    return FlowRun(**fields)


def _states(rows: list[dict[str, Any]], **run: Any) -> list[State]:
    return [State.from_api({**row, **run}) for row in rows]


class SyncPrefectClient(ConcurrencyLimitMethods, DeploymentMethods):
    """Prefect's client API, synchronous, over `OrchClient` (the process's, unless given one)."""

    def __init__(self, client: OrchClient | None = None, **_settings: Any) -> None:
        self._client = client

    @property
    def orch(self) -> OrchClient:
        return self._client or _orch_client()

    def __enter__(self) -> SyncPrefectClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.orch.flush()

    def _fresh(self) -> OrchClient:
        """The client, with the engine's queued records written (reads see every run so far)."""
        client = self.orch
        client.flush()
        return client

    def read_task_run(self, task_run_id: Any) -> TaskRun:
        """The task run; its `flow_run_run_count` is its flow run's run count now."""
        client = self._fresh()
        run = task_run_from_api(client.read_task_run(str(task_run_id)))
        if run.flow_run_id is not None:
            run.flow_run_run_count = client.read_flow_run(str(run.flow_run_id)).get("run_count", 0)
        if run.state is not None and run.task_key.startswith("subflow:"):  # a subflow's stand-in
            newest = client.get("flow_runs", parent_task_run_id=str(task_run_id), limit=1)["items"]
            run.state._child_flow_run_id = newest[0]["id"] if newest else None
        return run

    def read_flow_run(self, flow_run_id: Any) -> FlowRun:
        return flow_run_from_api(self._fresh().read_flow_run(str(flow_run_id)))

    def read_task_run_states(self, task_run_id: Any) -> list[State]:
        rows = self._fresh().get(f"task_runs/{task_run_id}/states")
        return _states(rows, task_run_id=str(task_run_id))

    def read_flow_run_states(self, flow_run_id: Any) -> list[State]:
        """Oldest first; a subflow's link to its stand-in task run (Prefect's state_details)."""
        client = self._fresh()
        rows = client.get(f"flow_runs/{flow_run_id}/states")
        stand_in = client.read_flow_run(str(flow_run_id)).get("parent_task_run_id")
        return _states(rows, flow_run_id=str(flow_run_id), task_run_id=stand_in)

    def read_task_runs(
        self,
        flow_run_id: Any = None,
        limit: int = 500,
        flow_run_filter: FlowRunFilter | None = None,
        **_: Any,
    ) -> list[TaskRun]:
        """Task runs, newest first: of one flow run (`flow_run_id`, or the first id
        `flow_run_filter` names), or all."""
        if flow_run_id is None and flow_run_filter is not None:
            flow_run_id = next(iter(ids_of(flow_run_filter.id)), None)
        query: dict[str, Any] = {"limit": min(limit or 500, 500)}
        if flow_run_id:
            query["flow_run_id"] = str(flow_run_id)
        return [task_run_from_api(r) for r in self._fresh().get("task_runs", **query)["items"]]

    def read_flow_runs(
        self,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
        **_: Any,
    ) -> list[FlowRun]:
        """Flow runs, newest first (`sort=FlowRunSort.EXPECTED_START_TIME_ASC`: soonest first):
        those `flow_run_filter.id` names, or of the flow `flow_filter` names by id or name."""
        client = self._fresh()
        ids = ids_of(flow_run_filter.id) if flow_run_filter is not None else []
        if ids:
            rows = [client.read_flow_run(run_id) for run_id in ids]
        else:
            rows = client.get("flow_runs", limit=500, **_flow_query(flow_filter))["items"]
        runs = [flow_run_from_api(row) for row in rows]
        order = str(getattr(sort, "value", sort) or "")
        if order.startswith("EXPECTED_START_TIME"):  # a run without one: when it was created
            runs.sort(key=lambda r: r.expected_start_time or r.created, reverse=order.endswith("DESC"))
        return runs[offset : offset + limit if limit else None]

    def create_flow_run(
        self,
        flow: Any,
        name: str | None = None,
        parameters: dict[str, Any] | None = None,
        tags: Iterable[str] | None = None,
        state: State | None = None,
        **_: Any,
    ) -> FlowRun:
        """A flow run record of `flow` (Pending unless `state` says otherwise), to run later with
        `flow_engine.run_flow(flow, flow_run=...)` or to inspect."""
        row = self.orch.create_flow_run(
            flow_name=flow.name,
            flow_version=flow.version,
            name=name,
            parameters=jsonable(parameters or {}),
            tags=sorted(tags) if tags else None,
            state=state or Pending(),
            empirical_policy=flow.policy.to_dict(),
            parameter_schema=flow.parameter_schema,
        )
        return flow_run_from_api(row)

    def create_flow_run_from_deployment(
        self,
        deployment_id: Any,
        *,
        parameters: dict[str, Any] | None = None,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        idempotency_key: str | None = None,
        work_queue_name: str | None = None,
        **_prefect_only: Any,  # state=, job_variables=, parent_task_run_id=: not taken here
    ) -> FlowRun:
        """A run of the deployment (Scheduled for now, for a worker or a served flow to run)."""
        row = self._fresh().create_flow_run_from_deployment(
            str(deployment_id),
            parameters=jsonable(parameters) if parameters is not None else None,
            name=name,
            tags=sorted(tags) if tags else None,
            idempotency_key=idempotency_key,
            work_queue_name=work_queue_name,
        )
        return flow_run_from_api(row)

    def create_task_run(
        self,
        task: Any,
        flow_run_id: Any,
        dynamic_key: str,
        id: Any = None,
        name: str | None = None,
        extra_tags: Iterable[str] | None = None,
        state: State | None = None,
        task_inputs: dict[str, Any] | None = None,
        **_: Any,
    ) -> TaskRun:
        """A task run record of `task` in the flow run `flow_run_id` (None: outside any), Pending
        unless `state` says otherwise, as Prefect's; nothing runs it (`run_task_sync(task,
        task_run=...)` may, later)."""
        state = state or Pending()
        run_id = str(id or new_uuid())
        state.task_run_id = run_id
        data = state_data(state)
        row = {
            "id": run_id,
            "name": name or f"{task.name}-{dynamic_key}",
            "task_key": task.task_key,
            "task_version": task.version,
            "dynamic_key": str(dynamic_key),
            "flow_run_id": None if flow_run_id is None else str(flow_run_id),
            "empirical_policy": task.policy_dict,
            "tags": sorted(set(task.tags) | set(extra_tags or ())),
            "created": state.timestamp,
            "cache_key": None,
            "cache_expiration": None,
            "task_inputs": jsonable(task_inputs or {}),
            "state_id": state.id,
            "state_type": state.type.value,
            "state_name": state.name,
            "state_message": state.message,
            "state_timestamp": state.timestamp,
            "state_data": data,
            "start_time": None,
            "end_time": None,
            "total_run_time": 0.0,
            "run_count": 0,
            "updated": state.timestamp,
        }
        state_row = {k: row[f"state_{k}"] for k in ("type", "name", "message", "timestamp", "data")}
        self.orch.writer.add_task_run(row, {**state_row, "id": state.id, "task_run_id": run_id})
        return task_run_from_api(self._fresh().read_task_run(run_id))  # not self.read_...: awaitable

    def read_logs(self, log_filter: LogFilter | None = None, limit: int = 200, **_options: Any) -> list[Log]:
        query: dict[str, Any] = {"limit": min(limit or 200, 500)}
        if log_filter is not None:
            for key in ("flow_run_id", "task_run_id"):
                ids = ids_of(getattr(log_filter, key))
                if ids:
                    query[key] = ids[0]
            if log_filter.level is not None and log_filter.level.ge_ is not None:
                query["level_ge"] = log_filter.level.ge_
        rows = self._fresh().get("logs", **query)["items"]
        return [_log(row) for row in rows]

    def set_flow_run_state(self, flow_run_id: Any, state: State, force: bool = False) -> Any:
        return self.orch.set_flow_run_state(str(flow_run_id), state, force=force)


def _flow_query(flow_filter: FlowFilter | None) -> dict[str, Any]:
    """The API's query for the flow a `FlowFilter` names (its first id, else its first name)."""
    if flow_filter is None:
        return {}
    ids, names = ids_of(flow_filter.id), ids_of(flow_filter.name)
    if ids:
        return {"flow_id": ids[0]}
    return {"flow_name": names[0]} if names else {}


def _log(row: dict[str, Any]) -> Log:
    return Log(
        **{
            **row,
            "flow_run_id": _uuid(row.get("flow_run_id")),
            "task_run_id": _uuid(row.get("task_run_id")),
            "timestamp": _parse_dt(row.get("timestamp")),
        }
    )


def _awaitable(method: Any) -> Any:
    @functools.wraps(method)
    async def call(self: PrefectClient, *args: Any, **kwargs: Any) -> Any:
        return method(self, *args, **kwargs)

    return call


class PrefectClient(SyncPrefectClient):
    """Prefect's async client: every read of `SyncPrefectClient` as a coroutine."""

    async def __aenter__(self) -> PrefectClient:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.orch.flush()


for _name, _method in inspect.getmembers(SyncPrefectClient, inspect.isfunction):
    if not _name.startswith("_"):
        setattr(PrefectClient, _name, _awaitable(_method))


def get_client(httpx_settings: dict[str, Any] | None = None, sync_client: bool = False) -> Any:
    """Prefect's `get_client()`: a `PrefectClient` (`async with get_client() as client:`), or a
    `SyncPrefectClient` with `sync_client=True`; both report to where this process's runs go."""
    return SyncPrefectClient() if sync_client else PrefectClient()


__all__ = [
    "PrefectClient",
    "SyncPrefectClient",
    "flow_run_from_api",
    "get_client",
    "task_run_from_api",
]
