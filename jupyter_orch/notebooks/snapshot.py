"""A notebook deployment's fields (schema from the `parameters` cell) and its snapshot.

`jupyter_orch.runner.notebooks` applies them (`deploy_notebook`, `deploy_cell`); the REST API's
notebook routes use them directly.

A deployment must keep running what the user deployed even while they keep editing the
notebook, so by default the notebook is copied at deploy time to
`$JUPYTER_ORCH_HOME/deployments/<deployment id>/<file>` (outputs cleared: only the code matters)
and runs read that copy; `live=True` makes runs read the file itself at run time instead.
`storage` records which: `{"type": "snapshot"|"live", "source": <file>, "notebook": <file read
at run time>, "sha256": ..., "snapshot_time": ...}`. The flow is named after the file's stem and
the run's working directory is the source notebook's folder, as when the user runs it there.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from jupyter_orch.parameters import ParameterError, parameter_schema, validate_parameters
from jupyter_orch.settings import get_settings

__all__ = [
    "flow_name_for",
    "notebook_deployment_fields",
    "read_notebook",
    "snapshot_notebook",
    "storage_notebook",
]


def flow_name_for(path: str | os.PathLike) -> str:
    """A notebook deployment's flow name: the file's stem (`etl.ipynb` → `etl`)."""
    return Path(path).stem


def read_notebook(path: str | os.PathLike) -> NotebookNode:
    with open(path, encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


def _clean_copy(nb: NotebookNode) -> NotebookNode:
    """The notebook without outputs and execution counts (smaller, and never stale)."""
    out = nbformat.from_dict(dict(nb))
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return out


def snapshot_notebook(
    nb: NotebookNode, deployment_id: str, filename: str, source: str | None, home: Path | None = None
) -> dict[str, Any]:
    """Write the deploy-time copy and return the `storage` that records it."""
    if home is None:
        home = get_settings().home
    folder = Path(home) / "deployments" / deployment_id
    folder.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(_clean_copy(nb))
    target = folder / Path(filename).name
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)  # a run reading the previous snapshot never sees half a file
    return {
        "type": "snapshot",
        "source": source,
        "notebook": str(target),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "snapshot_time": datetime.now(timezone.utc).isoformat(),
    }


def storage_notebook(deployment: Mapping[str, Any]) -> str:
    """The notebook file a run of `deployment` executes (snapshot or live source)."""
    storage = deployment.get("storage") or {}
    path = storage.get("notebook") or storage.get("source")
    if not path:  # a notebook deployment made by hand: `path` is the notebook itself
        path = deployment.get("path")
        if path and deployment.get("entrypoint") and os.path.isdir(path):
            path = os.path.join(path, deployment["entrypoint"])
    if not path:
        raise FileNotFoundError(f"deployment {deployment.get('name')!r} records no notebook to run")
    return str(path)


def _schedules(
    cron: str | None, interval: float | timedelta | None, tz: str | None
) -> list[dict[str, Any]] | None:
    if cron is not None and interval is not None:
        raise ValueError("give cron or interval, not both")
    if cron is not None:
        return [{"cron": cron, "timezone": tz}]
    if interval is not None:
        seconds = interval.total_seconds() if isinstance(interval, timedelta) else float(interval)
        return [{"interval": seconds, "timezone": tz}]
    return []


def notebook_deployment_fields(
    nb: NotebookNode,
    source: str | None,
    *,
    name: str,
    flow_name: str,
    parameters: Mapping[str, Any] | None = None,
    cron: str | None = None,
    interval: float | timedelta | None = None,
    timezone: str | None = None,
    work_pool_name: str | None = None,
    tags: list[str] | None = None,
    description: str | None = None,
    timeout_seconds: float | None = None,
    retries: int = 0,
) -> dict[str, Any]:
    """The deployment payload of a notebook; default parameters are checked here (ParameterError)."""
    schema = parameter_schema(nb, title=flow_name)
    defaults = dict(parameters or {})
    if defaults:  # like the store: defaults must be valid, required names may come per run
        partial = {**schema, "required": [n for n in schema.get("required", []) if n in defaults]}
        unknown = sorted(set(defaults) - set(schema["properties"]))
        if unknown and schema["properties"]:
            raise ParameterError(unknown[0], f"{unknown[0]}: not a parameter of this notebook")
        defaults = validate_parameters(partial, defaults)
    job: dict[str, Any] = {}
    if timeout_seconds:
        job["timeout_seconds"] = float(timeout_seconds)
    fields: dict[str, Any] = {
        "name": name,
        "flow_name": flow_name,
        "kind": "notebook",
        "entrypoint": Path(source).name if source else f"{flow_name}.ipynb",
        "path": source,
        "parameters": defaults,
        "parameter_openapi_schema": schema,
        "tags": list(tags or []),
        "work_pool_name": work_pool_name or "default",
        "job_variables": job,
        "empirical_policy": {"retries": int(retries)} if retries else {},
    }
    if description is not None:
        fields["description"] = description
    schedules = _schedules(cron, interval, timezone)
    if schedules is not None:
        fields["schedules"] = schedules
    return fields
