"""Notebooks (and single cells) as deployments: `deploy_notebook(path)` and `deploy_cell(...)`.

The deployment's fields and its snapshot come from `jupyter_orch.notebooks.snapshot`; this module
applies them through the client (creating the deployment first when the snapshot needs its id).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from jupyter_orch.client import ApiError, new_client
from jupyter_orch.notebooks.snapshot import (
    flow_name_for,
    notebook_deployment_fields,
    read_notebook,
    snapshot_notebook,
)


def _apply(fields: dict[str, Any], nb: NotebookNode, live: bool, client: Any = None) -> dict[str, Any]:
    """Create/update the deployment, then snapshot under its id (known only once it exists)."""
    client = client or new_client()
    source = fields.get("path")
    filename = fields["entrypoint"]
    existing_id = _existing_id(client, f"{fields['flow_name']}/{fields['name']}")
    if live:
        fields["storage"] = {"type": "live", "source": source, "notebook": source}
        return client.create_deployment(fields)
    if existing_id is None:  # a run claimed in between falls back to the live source
        fields["storage"] = {"type": "snapshot", "source": source}
        existing_id = client.create_deployment(dict(fields))["id"]
    fields["storage"] = snapshot_notebook(nb, existing_id, filename, source)
    return client.create_deployment(fields)


def _existing_id(client: Any, full_name: str) -> str | None:
    try:
        return client.read_deployment(full_name)["id"]
    except ApiError as exc:
        if exc.status != 404:
            raise
        return None


def deploy_notebook(
    path: str | os.PathLike,
    name: str | None = None,
    cron: str | None = None,
    interval: float | timedelta | None = None,
    timezone: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    work_pool_name: str | None = None,
    *,
    live: bool = False,
    tags: list[str] | None = None,
    description: str | None = None,
    timeout_seconds: float | None = None,
    retries: int = 0,
    client: Any = None,
) -> dict[str, Any]:
    """Deploy the notebook at `path` (flow named after its stem); returns the deployment.

    The `parameters` cell becomes the deployment's parameter schema; `parameters` are default
    values, validated now (`ParameterError`). Without `live` the notebook is snapshotted.
    """
    source = str(Path(path).expanduser().resolve())
    if not os.path.isfile(source):
        raise FileNotFoundError(f"no notebook at {source}")
    nb = read_notebook(source)
    flow_name = flow_name_for(source)
    fields = notebook_deployment_fields(
        nb,
        source,
        name=name or "default",
        flow_name=flow_name,
        parameters=parameters,
        cron=cron,
        interval=interval,
        timezone=timezone,
        work_pool_name=work_pool_name,
        tags=tags,
        description=description,
        timeout_seconds=timeout_seconds,
        retries=retries,
    )
    return _apply(fields, nb, live, client)


def deploy_cell(
    cell_nb: NotebookNode,
    flow_name: str,
    name: str | None = None,
    source: str | None = None,
    client: Any = None,
    **options: Any,
) -> dict[str, Any]:
    """Deploy a notebook built by `dependencies.build_cell_notebook`; it is the snapshot.

    `source` is the notebook the cell came from (its folder is the run's working directory).
    """
    fields = notebook_deployment_fields(
        cell_nb, source, name=name or "default", flow_name=flow_name, **options
    )
    fields["entrypoint"] = f"{flow_name}.ipynb"
    return _apply(fields, cell_nb, False, client)
