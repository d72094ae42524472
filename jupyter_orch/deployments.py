"""Deployments from Python: `flow.to_deployment(...)`, `serve(*deployments)`, `run_deployment(...)`.

`serve` is the no-infrastructure path (like Prefect's): it registers the deployments and runs
a worker for exactly them in this process, plus a (lease-guarded, so harmless beside a server)
scheduler when talking to the database directly.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jupyter_orch.states import State
from jupyter_orch.workers.transport import Transport, get_transport


@dataclass
class RunnerDeployment:
    """A deployment not yet sent to the server; `apply()` creates or updates it."""

    name: str
    flow_name: str
    entrypoint: str
    path: str | None = None
    kind: str = "python"
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_openapi_schema: dict[str, Any] | None = None
    schedules: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    version: str | None = None
    description: str | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    paused: bool = False
    concurrency_limit: int | None = None
    catchup: str = "skip"
    empirical_policy: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"

    def payload(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        out.setdefault("work_pool_name", "default")
        return out

    def apply(self, transport: Transport | None = None) -> str:
        """Create or update the deployment; its id."""
        transport = transport or get_transport()
        return transport.apply_deployment(self.payload())["id"]


def _schedules(cron: Any, interval: Any, timezone: str | None, anchor_date: datetime | None) -> list[dict]:
    out: list[dict[str, Any]] = []
    for expr in [cron] if isinstance(cron, str) else list(cron or []):
        out.append({"cron": expr, "timezone": timezone})
    for every in [interval] if isinstance(interval, (int, float, timedelta)) else list(interval or []):
        seconds = every.total_seconds() if isinstance(every, timedelta) else float(every)
        spec: dict[str, Any] = {"interval": seconds, "timezone": timezone}
        if anchor_date is not None:
            spec["anchor_date"] = anchor_date.isoformat()
        out.append(spec)
    return out


def _entrypoint(fn: Any) -> tuple[str, str]:
    """("file.py:function", directory) for a module-level function defined in a file."""
    source = inspect.getsourcefile(fn)
    if source is None or "<" in source:
        raise ValueError(
            f"{fn.__qualname__} is not defined in a file; deploy a notebook with deploy_notebook() instead"
        )
    if "<locals>" in fn.__qualname__:
        raise ValueError(f"{fn.__qualname__} must be defined at module level to be deployed")
    file = Path(source).resolve()
    return f"{file.name}:{fn.__qualname__}", str(file.parent)


def to_deployment(
    flow: Any,
    name: str,
    cron: str | list[str] | None = None,
    interval: float | timedelta | list[Any] | None = None,
    timezone: str | None = None,
    parameters: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    work_pool_name: str | None = None,
    paused: bool = False,
    *,
    anchor_date: datetime | None = None,
    work_queue_name: str | None = None,
    description: str | None = None,
    version: str | None = None,
    concurrency_limit: int | None = None,
    catchup: str = "skip",
) -> RunnerDeployment:
    """A deployment of `flow` (an @flow, or a plain function) to apply or `serve`."""
    fn = getattr(flow, "fn", flow)
    entrypoint, path = _entrypoint(fn)
    schema = getattr(flow, "parameter_schema", None)
    policy = getattr(flow, "policy", None)
    return RunnerDeployment(
        name=name,
        flow_name=getattr(flow, "name", None) or fn.__name__.replace("_", "-"),
        entrypoint=entrypoint,
        path=path,
        parameters=dict(parameters or {}),
        parameter_openapi_schema=schema,
        schedules=_schedules(cron, interval, timezone, anchor_date),
        tags=list(tags or []),
        version=version,
        description=description or getattr(flow, "description", None),
        work_pool_name=work_pool_name or "default",
        work_queue_name=work_queue_name,
        paused=paused,
        concurrency_limit=concurrency_limit,
        catchup=catchup,
        empirical_policy=policy.to_dict() if policy is not None else {},
    )


def serve(*deployments: RunnerDeployment, poll_interval: float = 0.5, limit: int | None = None) -> None:
    """Apply the deployments and run their runs here until interrupted (Ctrl-C)."""
    import threading

    from jupyter_orch.workers.db_transport import DBTransport
    from jupyter_orch.workers.worker import Worker

    transport = get_transport()
    ids = [d.apply(transport) for d in deployments]
    pools = {d.work_pool_name or "default" for d in deployments}
    services: list[Any] = []
    if isinstance(transport, DBTransport):
        from jupyter_orch.services import CrashDetectionService, LateRunsService, SchedulerService

        services = [
            SchedulerService(transport.db_url),
            LateRunsService(transport.db_url),
            CrashDetectionService(transport.db_url),
        ]
    for service in services:
        service.launch()
    stop = threading.Event()
    workers = [
        Worker(pool=p, transport=transport, poll_interval=poll_interval, limit=limit, deployment_ids=ids)
        for p in sorted(pools)
    ]
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    names = ", ".join(d.full_name for d in deployments)
    print(f"Serving {names}. Press Ctrl-C to stop.", flush=True)
    try:
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        for service in services:
            service.halt()


@dataclass
class FlowRunResult:
    """What `run_deployment` returns: the run as the API shows it, with its state as a `State`."""

    id: str
    name: str
    flow_name: str
    deployment_id: str | None
    parameters: dict[str, Any]
    state: State | None
    output_location: str | None
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FlowRunResult:
        state = State.from_dict({**d["state"], "flow_run_id": d["id"]}) if d.get("state") else None
        return cls(
            d["id"],
            d["name"],
            d["flow_name"],
            d.get("deployment_id"),
            d.get("parameters") or {},
            state,
            d.get("output_location"),
            d,
        )

    @property
    def state_type(self) -> str | None:
        return self.state.type.value if self.state else None


def run_deployment(
    name: str,
    parameters: dict[str, Any] | None = None,
    timeout: float | None = None,
    *,
    tags: list[str] | None = None,
    scheduled_time: datetime | None = None,
    poll_interval: float = 0.2,
    transport: Transport | None = None,
) -> FlowRunResult:
    """Create a run of deployment "flow-name/deployment-name" (or id) and wait for it to end.

    `timeout=None` waits for as long as it takes, `timeout=0` returns at once; on timeout the run
    is returned in whatever state it has reached (it keeps going).
    """
    transport = transport or get_transport()
    dep = transport.read_deployment(name)
    run = transport.create_flow_run_from_deployment(
        dep["id"], parameters=parameters, tags=tags, scheduled_time=scheduled_time
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    while run["state_type"] not in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(
            poll_interval if deadline is None else max(0.0, min(poll_interval, deadline - time.monotonic()))
        )
        run = transport.read_flow_run(run["id"])
    return FlowRunResult.from_dict(run)
