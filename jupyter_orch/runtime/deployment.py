"""The deployment the current flow run was created from: `from jupyter_orch.runtime import
deployment; deployment.name` (`None` / `{}` when the run is not a deployment run)."""

from __future__ import annotations

from typing import Any

from jupyter_orch.runtime import _access
from jupyter_orch.runtime import flow_run as _flow_run


def get_id() -> str | None:
    return _flow_run.get_deployment_id()


def get_flow_run_id() -> str | None:
    return _flow_run.get_id()


def _record() -> dict[str, Any]:
    return _access.read_deployment(get_id())


def get_name() -> str | None:
    return _record().get("name")


def get_version() -> str | None:
    return _record().get("version")


def get_parameters() -> dict[str, Any]:
    """The flow run's parameters (for a deployment run: the deployment's defaults merged with what
    the run was given), as Prefect reports them; `{}` outside a run."""
    if get_flow_run_id() is None:
        return {}
    return _flow_run.get_parameters()


__getattr__, __dir__ = _access.module_attributes("deployment", globals())
