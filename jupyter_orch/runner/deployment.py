"""A Python flow as a deployment: `flow.to_deployment(...)` builds a `RunnerDeployment`, `apply()`
creates or updates it on the server (or in the database)."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jupyter_orch.client import OrchClient, new_client
from jupyter_orch.exceptions import check_name
from jupyter_orch.runner.source import load_from_source
from jupyter_orch.scheduling import Schedule, parse_schedule

logger = logging.getLogger("jupyter_orch.deployments")
#: what `payload()` leaves out: objects of this process (where the code comes from, the
#: collision strategy), not columns of the deployment
_LOCAL_FIELDS = ("storage", "concurrency_options")


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
    job_variables: dict[str, Any] = field(default_factory=dict)
    enforce_parameter_schema: bool = True
    #: Prefect's RunnerStorage the flow was loaded from (`Flow.from_source`), if any
    storage: Any = None
    #: Prefect's ConcurrencyOptions (`collision_strategy`) when given a ConcurrencyLimitConfig
    concurrency_options: Any = None

    @classmethod
    def from_storage(
        cls, storage: Any, entrypoint: str, name: str, flow_name: str | None = None, **options: Any
    ) -> RunnerDeployment:
        """Prefect's: a deployment of the flow at `entrypoint` in `storage` (its code pulled now;
        runs use it from there), named `flow_name` if given; `options` as `to_deployment`'s."""
        deployment = to_deployment(load_from_source(storage, entrypoint), name, **options)
        if flow_name:
            deployment.flow_name = flow_name
        return deployment

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"

    def payload(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v is not None and k not in _LOCAL_FIELDS}
        out.pop("enforce_parameter_schema", None)
        out.setdefault("work_pool_name", "default")
        return out

    def apply(self, client: OrchClient | None = None) -> str:
        """Create or update the deployment; its id."""
        client = client or new_client()
        return client.create_deployment(self.payload())["id"]


class ScheduleSpec(dict):
    """One schedule of a deployment as sent (its JSON form), with Prefect's view of it:
    `.schedule` (a CronSchedule / IntervalSchedule object) and `.active`."""

    @property
    def schedule(self) -> Schedule:
        return parse_schedule(self)

    @property
    def active(self) -> bool:
        return bool(self.get("active", True))


def _schedules(cron: Any, interval: Any, timezone: str | None, anchor_date: datetime | None) -> list[dict]:
    out: list[dict[str, Any]] = []
    for expr in [cron] if isinstance(cron, str) else list(cron or []):
        out.append(ScheduleSpec(cron=expr, timezone=timezone))
    for every in [interval] if isinstance(interval, (int, float, timedelta)) else list(interval or []):
        seconds = every.total_seconds() if isinstance(every, timedelta) else float(every)
        spec = ScheduleSpec(interval=seconds, timezone=timezone)
        if anchor_date is not None:
            spec["anchor_date"] = anchor_date.isoformat()
        out.append(spec)
    return out


def _schedule(given: Any) -> dict[str, Any]:
    """One of `schedules=`: a dict as it is, or a `Cron(...)` / `Interval(...)` as its dict."""
    return ScheduleSpec(given.to_dict() if isinstance(given, Schedule) else given)


def _entrypoint(fn: Any, entrypoint_type: Any = None) -> tuple[str, str | None]:
    """("file.py:function", directory) for a function defined in a file, or with Prefect's
    `EntrypointType.MODULE_PATH` ("package.module.function", no directory: it is imported).

    A function defined inside another is deployed by its name as Prefect does (a run can load it
    only if the file defines that name at its top level): a warning says so."""
    if str(getattr(entrypoint_type, "value", entrypoint_type)) == "module_path":
        return f"{fn.__module__}.{fn.__name__}", None
    source = inspect.getsourcefile(fn)
    if source is None or "<" in source:
        raise ValueError(
            f"{fn.__qualname__} is not defined in a file; deploy a notebook with deploy_notebook() instead"
        )
    name = fn.__qualname__
    if "<locals>" in name:
        name = fn.__name__
        logger.warning(
            "%s is defined inside a function: a run of its deployment loads %s from its file's top "
            "level, which fails unless the file defines it there",
            fn.__qualname__,
            name,
        )
    file = Path(source).resolve()
    return f"{file.name}:{name}", str(file.parent)


def _check_schedule_options(cron: Any, interval: Any, rrule: Any, schedules: Any, triggers: Any) -> None:
    """ValueError for what a deployment cannot take: more than one kind of schedule (Prefect's
    rule and words), an rrule, triggers."""
    if sum(1 for kind in (interval, cron, rrule, schedules) if kind) > 1:
        raise ValueError("Only one of interval, cron, rrule, or schedules can be provided.")
    if rrule is not None:
        raise ValueError("rrule schedules are not supported; use cron= or interval=")
    if triggers:
        raise ValueError("deployment triggers (automations) are not supported; use schedules")


def _via_storage(flow: Any, call: dict[str, Any]) -> RunnerDeployment | None:
    """A flow whose code is in a storage (Prefect's `_storage` and `_entrypoint`, set by hand, not
    by `from_source` here): its deployment through `RunnerDeployment.from_storage`, called by
    class attribute as Prefect's (its tests patch it); `call` is `to_deployment`'s arguments."""
    stored, stored_at = getattr(flow, "_storage", None), getattr(flow, "_entrypoint", None)
    if stored is None or not stored_at or getattr(flow, "source", None) is not None:
        return None
    options = {k: v for k, v in call.items() if k not in ("flow", "name", "_prefect_options")}
    return RunnerDeployment.from_storage(
        storage=stored, entrypoint=stored_at, name=call["name"], flow_name=flow.name, **options,
        **call["_prefect_options"],
    )  # fmt: skip


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
    job_variables: dict[str, Any] | None = None,
    schedules: list[dict[str, Any]] | None = None,
    enforce_parameter_schema: bool = True,
    rrule: str | None = None,
    triggers: list[Any] | None = None,
    entrypoint_type: Any = None,
    **_prefect_options: Any,
) -> RunnerDeployment:
    """A deployment of `flow` (an @flow, or a plain function) to apply or `serve`.

    `schedules` takes `Cron(...)` / `Interval(...)` (`jupyter_orch.schedules`) or dicts like
    `{"cron": "0 6 * * *", "timezone": "Europe/Paris"}` or `{"interval": 3600}`; one of
    `cron=`, `interval=` and `schedules=` at most (Prefect's); `rrule` and `triggers` are
    refused by name. `concurrency_limit` may be Prefect's `ConcurrencyLimitConfig` (its
    collision strategy is kept as `concurrency_options`). Prefect's other options
    (`_sla`, `work_queue_concurrency`, ...) are taken and have no effect."""
    via_storage = _via_storage(flow, dict(locals()))
    if via_storage is not None:
        return via_storage
    # Prefect's: a file path (`flow.serve(__file__)`) names the deployment by its stem
    name = Path(name).stem if name.endswith(".py") else check_name(name, "deployment")
    _check_schedule_options(cron, interval, rrule, schedules, triggers)
    fn = getattr(flow, "fn", flow)
    source = getattr(flow, "source", None)  # set by Flow.from_source: run it from there
    path, entrypoint = source if source else reversed(_entrypoint(fn, entrypoint_type))
    options = None
    if hasattr(concurrency_limit, "collision_strategy"):
        options, concurrency_limit = concurrency_limit, concurrency_limit.limit
    schema = getattr(flow, "parameter_schema", None)
    policy = getattr(flow, "policy", None)
    return RunnerDeployment(
        name=name,
        flow_name=getattr(flow, "name", None) or fn.__name__.replace("_", "-"),
        entrypoint=entrypoint,
        path=path,
        parameters=dict(parameters or {}),
        parameter_openapi_schema=schema if enforce_parameter_schema else None,
        schedules=_schedules(cron, interval, timezone, anchor_date) + [_schedule(s) for s in schedules or []],
        tags=list(tags or []),
        version=version,
        description=description or getattr(flow, "description", None),
        work_pool_name=work_pool_name or "default",
        work_queue_name=work_queue_name,
        paused=paused,
        concurrency_limit=concurrency_limit,
        catchup=catchup,
        empirical_policy=policy.to_dict() if policy is not None else {},
        job_variables=dict(job_variables or {}),
        enforce_parameter_schema=enforce_parameter_schema,
        storage=getattr(flow, "_storage", None),
        concurrency_options=options,
    )
