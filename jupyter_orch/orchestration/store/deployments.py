"""Deployments: a flow (or notebook) with its entrypoint, defaults, schedules and work pool.

Created or updated by (flow_name, name), looked up by id or "flow-name/deployment-name". Runs of a
deployment get its parameters merged with the caller's, validated against the parameter schema
(422 naming the field), and its pool, queue, tags and retry policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jupyter_orch.db.models import Deployment, DeploymentSchedule, FlowRun, new_id, utcnow
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.orchestration.serialize import deployment_to_dict as _base_dict
from jupyter_orch.orchestration.store import schedules as schedule_store
from jupyter_orch.orchestration.store.flow_runs import create_flow_run
from jupyter_orch.orchestration.store.flows import get_or_create_flow
from jupyter_orch.orchestration.store.query import (
    check_choice,
    check_non_empty,
    found,
    paginate,
    read_by_id,
    select_equal,
    tags_contain,
)
from jupyter_orch.orchestration.store.schedules import unschedule
from jupyter_orch.orchestration.store.work_pools import DEFAULT_POOL, read_queue, read_work_pool
from jupyter_orch.parameters import ParameterError
from jupyter_orch.parameters import validate_parameters as check_against_schema
from jupyter_orch.states import Scheduled

KINDS = ("python", "notebook")
CATCHUP = ("skip", "once", "all")
_FIELDS = (
    "entrypoint",
    "path",
    "kind",
    "storage",
    "parameters",
    "parameter_openapi_schema",
    "tags",
    "version",
    "description",
    "work_pool_name",
    "work_queue_name",
    "paused",
    "concurrency_limit",
    "catchup",
    "job_variables",
    "empirical_policy",
)


def validate_parameters(schema: dict[str, Any] | None, params: dict[str, Any] | None) -> dict[str, Any]:
    """Check run parameters against the deployment's schema; a ParameterError becomes a 422 naming
    `parameters.<field>`."""
    if params is not None and not isinstance(params, dict):
        raise Invalid("parameters must be an object", field="parameters")
    if not schema:
        return dict(params or {})
    try:
        return check_against_schema(schema, params or {})
    except ParameterError as exc:
        raise Invalid(str(exc), field=f"parameters.{exc.field}") from exc


def _bad_tags(tags: Any) -> bool:
    return not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)


#: field -> (a test of a given, non-null value saying it is bad, the message then)
_FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "concurrency_limit": (
        lambda v: isinstance(v, bool) or not isinstance(v, int) or v < 1,
        "concurrency_limit must be a positive integer or null",
    ),
    "tags": (_bad_tags, "tags must be a list of strings"),
    "path": (
        lambda v: not isinstance(v, str) or ".." in Path(v).parts,
        "path must be a directory path without '..' (it may not lead out of its root)",
    ),
}


def _entrypoint_form(entry: str) -> bool:
    """A file entrypoint ("file.py:name") or Prefect's module path one ("package.module.name")."""
    return ":" in entry or ("." in entry and all(part.isidentifier() for part in entry.split(".")))


def _check(fields: dict[str, Any], session: Session) -> None:
    for key, choices in (("kind", KINDS), ("catchup", CATCHUP)):
        if key in fields:
            check_choice(fields[key], choices, key)
    for key, (bad, message) in _FIELD_CHECKS.items():
        value = fields.get(key)
        if value is not None and bad(value):
            raise Invalid(message, field=key)
    entry = fields.get("entrypoint")
    if fields.get("kind", "python") == "python" and entry is not None and not _entrypoint_form(str(entry)):
        raise Invalid(
            "entrypoint must look like 'path/to/file.py:flow_function' or 'package.module.flow_function'",
            field="entrypoint",
        )
    if fields.get("work_pool_name"):
        read_work_pool(session, fields["work_pool_name"], field="work_pool_name")
        if fields.get("work_queue_name"):
            read_queue(session, fields["work_pool_name"], fields["work_queue_name"], field="work_queue_name")
    if "parameters" in fields or "parameter_openapi_schema" in fields:
        fields["parameters"] = _check_defaults(
            fields.get("parameter_openapi_schema"), fields.get("parameters")
        )


def _check_defaults(schema: dict[str, Any] | None, params: dict[str, Any] | None) -> dict[str, Any]:
    """Default parameters must be valid values, but need not include every required name."""
    if not schema:
        return validate_parameters(None, params)
    partial = dict(schema)
    partial["required"] = [n for n in schema.get("required", []) if n in (params or {})]
    return validate_parameters(partial, params)


def upsert_deployment(
    session: Session,
    *,
    flow_name: str,
    name: str,
    schedules: list[dict[str, Any]] | None = None,
    schedule_now: bool = True,
    **fields: Any,
) -> Deployment:
    """Create the deployment (flow_name, name) or update it with the fields given.

    A new or changed schedule, or a resumed deployment, has its runs created in the same
    transaction (`schedules.schedule_deployment`), unless `schedule_now` is False (tests of the
    scheduler's own pass)."""
    _check_names(flow_name, name, fields)
    fields.setdefault("work_pool_name", DEFAULT_POOL)
    _check(fields, session)
    parsed = schedule_store.parse_all(schedules) if schedules is not None else None
    flow = get_or_create_flow(session, flow_name, fields.get("parameter_openapi_schema"))
    dep = session.scalars(
        select(Deployment).where(Deployment.flow_id == flow.id, Deployment.name == name)
    ).first()
    if dep is None:
        dep = _new_deployment(session, name, flow)
    was_paused = bool(dep.paused)
    for key, value in fields.items():
        setattr(dep, key, value)
    dep.updated = utcnow()
    session.flush()
    if parsed is not None:
        schedule_store.replace_schedules(session, dep, parsed)
    _reschedule(session, dep, was_paused, schedule_now and bool(parsed or was_paused))
    return dep


def _check_names(flow_name: Any, name: Any, fields: dict[str, Any]) -> None:
    check_non_empty(name, "name", slash=False)
    check_non_empty(flow_name, "flow_name")
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise Invalid(f"unknown deployment field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])


def _new_deployment(session: Session, name: str, flow: Any) -> Deployment:
    dep = Deployment(id=new_id(), name=name, flow_id=flow.id, flow_name=flow.name)
    for key in ("storage", "parameters", "tags", "job_variables", "empirical_policy"):
        setattr(dep, key, {} if key != "tags" else [])
    session.add(dep)
    return dep


def _reschedule(session: Session, dep: Deployment, was_paused: bool, schedule: bool) -> None:
    """Paused now: its future runs go; else `schedule` (a new schedule or a resume): its first
    runs now, not a scheduler pass later."""
    if dep.paused and not was_paused:
        unschedule(session, dep.id)
    elif schedule and not dep.paused:
        schedule_store.schedule_deployment(session, dep.id)


def read_deployment(session: Session, deployment_id: str) -> Deployment:
    return read_by_id(session, Deployment, deployment_id, "deployment")


def read_deployment_by_name(session: Session, full_name: str) -> Deployment:
    """A deployment by "flow-name/deployment-name" (or by id, for convenience)."""
    if "/" not in full_name:
        dep = session.get(Deployment, full_name)
        if dep is not None:
            return dep
        raise NotFound(f"no deployment {full_name!r}: name it 'flow-name/deployment-name'", field="name")
    flow_name, name = full_name.split("/", 1)
    dep = session.scalars(
        select(Deployment).where(Deployment.flow_name == flow_name, Deployment.name == name)
    ).first()
    return found(dep, f"no deployment named {full_name!r}", "name")


def list_deployments(
    session: Session,
    name: str | None = None,
    flow_name: str | None = None,
    tags: list[str] | None = None,
    paused: bool | None = None,
    work_pool_name: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Deployment], str | None]:
    stmt = select_equal(Deployment, name=name, flow_name=flow_name, work_pool_name=work_pool_name)
    if tags:
        stmt = stmt.where(tags_contain(session, Deployment.tags, list(tags)))
    if paused is not None:
        stmt = stmt.where(Deployment.paused.is_(bool(paused)))
    return paginate(session, stmt, Deployment, limit, cursor)


def update_deployment(
    session: Session, deployment_id: str, schedules: list[dict] | None = None, **fields: Any
) -> Deployment:
    dep = read_deployment(session, deployment_id)
    return upsert_deployment(session, flow_name=dep.flow_name, name=dep.name, schedules=schedules, **fields)


def delete_deployment(session: Session, deployment_id: str) -> None:
    dep = read_deployment(session, deployment_id)
    unschedule(session, dep.id)
    session.delete(dep)


def set_paused(session: Session, deployment_id: str, paused: bool, schedule_now: bool = True) -> Deployment:
    """Pause (its not-yet-started scheduled runs are deleted) or resume (scheduled from now on, at
    once unless `schedule_now` is False)."""
    dep = read_deployment(session, deployment_id)
    pausing = paused and not dep.paused
    dep.paused = paused
    dep.updated = utcnow()
    session.flush()
    if pausing:
        unschedule(session, dep.id)
    elif schedule_now and not paused:
        schedule_store.schedule_deployment(session, dep.id)  # resumed: scheduled from now, at once
    return dep


def create_flow_run_from_deployment(
    session: Session,
    deployment_id: str,
    parameters: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    name: str | None = None,
    scheduled_time: datetime | None = None,
    idempotency_key: str | None = None,
    work_queue_name: str | None = None,
) -> FlowRun:
    """An ad hoc run (SCHEDULED at `scheduled_time`, default now) for a worker to pick up."""
    dep = read_deployment(session, deployment_id)
    merged = _run_parameters(dep, parameters)
    if tags is not None and _bad_tags(tags):
        raise Invalid("tags must be a list of strings", field="tags")
    queue = work_queue_name or dep.work_queue_name
    if queue and dep.work_pool_name:
        read_queue(session, dep.work_pool_name, queue, field="work_queue_name")
    return create_flow_run(
        session,
        flow_id=dep.flow_id,
        name=name,
        parameters=merged,
        tags=sorted({*(dep.tags or []), *(tags or [])}),
        state=Scheduled(scheduled_time or utcnow()),
        deployment_id=dep.id,
        deployment_name=dep.name,
        idempotency_key=idempotency_key,
        empirical_policy=dep.empirical_policy or {},
        work_pool_name=dep.work_pool_name,
        work_queue_name=queue,
        job_variables=dep.job_variables or {},
    )


def _run_parameters(dep: Deployment, parameters: dict[str, Any] | None) -> dict[str, Any]:
    """The deployment's default parameters overridden by the run's, checked by its schema."""
    if parameters is not None and not isinstance(parameters, dict):
        raise Invalid("parameters must be an object", field="parameters")
    merged = {**(dep.parameters or {}), **(parameters or {})}
    return validate_parameters(dep.parameter_openapi_schema, merged)


def deployment_to_dict(session: Session, dep: Deployment, preview: int = 3) -> dict[str, Any]:
    return _base_dict(dep, schedule_store.schedule_dicts(session, dep.id, preview))


def schedules_of(session: Session, deployment_id: str) -> list[DeploymentSchedule]:
    return schedule_store.list_schedules(session, deployment_id)
