"""Work pools, their queues and workers; workers claim runs and heartbeat here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from jupyter_orch.api.models import Id, Int32, Name, Page, Params, Strict, UTCDateTime
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.serialize import row_to_dict, run_to_dict
from jupyter_orch.orchestration.store import deployments as dep_store
from jupyter_orch.orchestration.store import work_pools as store
from jupyter_orch.orchestration.store import workers

TAG = "work_pools"


class ByPool(Params):
    name: Name


class ByQueue(Params):
    name: Name
    queue: Name


class PoolIn(Strict):
    name: Name
    type: str = "process"
    description: str | None = None
    concurrency_limit: Int32 | None = None
    is_paused: bool = False


class PoolPatch(Strict):
    description: str | None = None
    concurrency_limit: Int32 | None = None
    is_paused: bool | None = None


class QueueIn(Strict):
    name: Name
    priority: Int32 = Field(1, ge=1)
    concurrency_limit: Int32 | None = None
    is_paused: bool = False


class QueuePatch(Strict):
    priority: Int32 | None = Field(None, ge=1)
    concurrency_limit: Int32 | None = None
    is_paused: bool | None = None


class ClaimIn(Strict):
    worker_name: Name
    limit: int = Field(10, ge=0, le=500)
    scheduled_before: UTCDateTime | None = None
    work_queue_names: list[Name] | None = None
    deployment_ids: list[Id] | None = None


class HeartbeatIn(Strict):
    name: Name
    running_flow_run_ids: list[Id] = Field(default_factory=list)
    hostname: Name | None = Field(None, description="the machine the worker runs on")
    pid: Int32 | None = Field(None, description="the worker's process id")


class WorkerFilter(Params):
    work_pool_name: Name | None = None


class QueueOut(BaseModel):
    id: str
    work_pool_id: str
    name: str
    priority: int
    concurrency_limit: int | None = None
    is_paused: bool
    created: datetime
    updated: datetime


class WorkPoolOut(BaseModel):
    id: str
    name: str
    type: str
    description: str | None = None
    is_paused: bool
    concurrency_limit: int | None = None
    base_job_template: dict[str, Any]
    status: Literal["READY", "PAUSED"]
    queues: list[QueueOut]
    created: datetime
    updated: datetime


class WorkerOut(BaseModel):
    id: str
    name: str
    work_pool_id: str
    work_pool_name: str
    hostname: str | None = None
    pid: int | None = None
    status: Literal["ONLINE", "OFFLINE"] = Field(description="OFFLINE when no heartbeat came lately")
    last_heartbeat_time: datetime
    created: datetime
    updated: datetime


def list_pools(session: Session, _: None = None) -> dict[str, Any]:
    return {"items": [store.pool_to_dict(session, p) for p in store.list_work_pools(session)], "next": None}


def create_pool(session: Session, _: None, body: PoolIn) -> dict[str, Any]:
    return store.pool_to_dict(session, store.create_work_pool(session, **body.model_dump()))


def read_pool(session: Session, p: ByPool) -> dict[str, Any]:
    return store.pool_to_dict(session, store.read_work_pool(session, p.name))


def update_pool(session: Session, p: ByPool, body: PoolPatch) -> dict[str, Any]:
    pool = store.update_work_pool(session, p.name, **body.model_dump(exclude_unset=True))
    return store.pool_to_dict(session, pool)


def delete_pool(session: Session, p: ByPool) -> None:
    store.delete_work_pool(session, p.name)


def pause_pool(session: Session, p: ByPool) -> dict[str, Any]:
    return store.pool_to_dict(session, store.update_work_pool(session, p.name, is_paused=True))


def resume_pool(session: Session, p: ByPool) -> dict[str, Any]:
    return store.pool_to_dict(session, store.update_work_pool(session, p.name, is_paused=False))


def list_queues(session: Session, p: ByPool) -> dict[str, Any]:
    return {"items": [row_to_dict(q) for q in store.list_queues(session, p.name)], "next": None}


def create_queue(session: Session, p: ByPool, body: QueueIn) -> dict[str, Any]:
    return row_to_dict(store.create_queue(session, p.name, **body.model_dump()))


def update_queue(session: Session, p: ByQueue, body: QueuePatch) -> dict[str, Any]:
    return row_to_dict(store.update_queue(session, p.name, p.queue, **body.model_dump(exclude_unset=True)))


def delete_queue(session: Session, p: ByQueue) -> None:
    store.delete_queue(session, p.name, p.queue)


def deployment_exec_info(dep: Any) -> dict[str, Any]:
    """What executing a claimed run needs of its deployment (from a row)."""
    return {
        k: getattr(dep, k)
        for k in ("id", "name", "flow_name", "kind", "entrypoint", "path", "storage", "job_variables")
    }


def claim(session: Session, p: ByPool, body: ClaimIn) -> dict[str, Any]:
    runs = workers.get_scheduled_flow_runs(
        session,
        p.name,
        body.worker_name,
        body.limit,
        body.scheduled_before,
        body.work_queue_names,
        body.deployment_ids,
    )
    items = []
    for run in runs:
        d = run_to_dict(run)
        if run.deployment_id:
            d["deployment"] = deployment_exec_info(dep_store.read_deployment(session, run.deployment_id))
        items.append(d)
    return {"items": items, "next": None}


def heartbeat(session: Session, p: ByPool, body: HeartbeatIn) -> dict[str, Any]:
    states = workers.worker_heartbeat(
        session, p.name, body.name, body.running_flow_run_ids, body.hostname, body.pid
    )
    return {"states": states}


def list_workers(session: Session, p: WorkerFilter) -> dict[str, Any]:
    return {"items": workers.list_workers(session, p.work_pool_name), "next": None}


ROUTES = [
    Route("GET", "/work_pools", list_pools, "List work pools", TAG, response=Page[WorkPoolOut]),
    Route(
        "POST",
        "/work_pools",
        create_pool,
        "Create a work pool",
        TAG,
        body=PoolIn,
        response=WorkPoolOut,
        status=201,
    ),
    Route(
        "GET", "/work_pools/{name}", read_pool, "Read a work pool", TAG, params=ByPool, response=WorkPoolOut
    ),
    Route(
        "PATCH",
        "/work_pools/{name}",
        update_pool,
        "Update a work pool",
        TAG,
        params=ByPool,
        body=PoolPatch,
        response=WorkPoolOut,
    ),
    Route("DELETE", "/work_pools/{name}", delete_pool, "Delete a work pool", TAG, params=ByPool, status=204),
    Route(
        "POST",
        "/work_pools/{name}/pause",
        pause_pool,
        "Pause a work pool",
        TAG,
        params=ByPool,
        response=WorkPoolOut,
    ),
    Route(
        "POST",
        "/work_pools/{name}/resume",
        resume_pool,
        "Resume a work pool",
        TAG,
        params=ByPool,
        response=WorkPoolOut,
    ),
    Route(
        "GET",
        "/work_pools/{name}/queues",
        list_queues,
        "List a pool's queues",
        TAG,
        params=ByPool,
        response=Page[QueueOut],
    ),
    Route(
        "POST",
        "/work_pools/{name}/queues",
        create_queue,
        "Create a queue",
        TAG,
        params=ByPool,
        body=QueueIn,
        response=QueueOut,
        status=201,
    ),
    Route(
        "PATCH",
        "/work_pools/{name}/queues/{queue}",
        update_queue,
        "Update a queue",
        TAG,
        params=ByQueue,
        body=QueuePatch,
        response=QueueOut,
    ),
    Route(
        "DELETE",
        "/work_pools/{name}/queues/{queue}",
        delete_queue,
        "Delete a queue",
        TAG,
        params=ByQueue,
        status=204,
    ),
    Route(
        "POST",
        "/work_pools/{name}/get_scheduled_flow_runs",
        claim,
        "Claim due runs for a worker",
        TAG,
        params=ByPool,
        body=ClaimIn,
    ),
    Route(
        "POST",
        "/work_pools/{name}/workers/heartbeat",
        heartbeat,
        "Worker heartbeat",
        TAG,
        params=ByPool,
        body=HeartbeatIn,
    ),
    Route(
        "GET",
        "/workers",
        list_workers,
        "List workers",
        "workers",
        params=WorkerFilter,
        response=Page[WorkerOut],
    ),
]
