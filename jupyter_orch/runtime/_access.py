"""The machinery the runtime modules share: attribute lookup with environment overrides, and
reading a run record once per run when the current process has no engine for it."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from jupyter_orch.timefmt import parse_time

ENV_PREFIX = "JUPYTER_ORCH__RUNTIME__"
#: Prefect's prefix, honoured too, so code and tests written for Prefect mock values unchanged
PREFECT_ENV_PREFIX = "PREFECT__RUNTIME__"


_CASTS: dict[type, Callable[[str], Any]] = {
    bool: lambda text: text.lower() == "true",
    int: int,
    float: float,
    str: str,
    type(None): str,
}


def lookup(module: str, fields: dict[str, Callable[[], Any]], name: str) -> Any:
    """The value of attribute `name` of runtime module `module` (`flow_run`, ...), an environment
    override cast to the type the real value has."""
    override = _override(module, name)
    getter = fields.get(name)
    if getter is None:
        if override is not None:
            return override
        raise AttributeError(f"jupyter_orch.runtime.{module} has no attribute {name!r}")
    value = getter()
    if override is None:
        return value
    if isinstance(value, datetime):
        return parse_time(override)
    cast = _CASTS.get(type(value))
    if cast is None:
        raise ValueError(
            "This runtime context attribute cannot be overridden by an environment variable; "
            "use monkeypatch instead."
        )
    return cast(override)


def _override(module: str, name: str) -> str | None:
    """The environment's value for `module.name`: ours (`JUPYTER_ORCH__RUNTIME__FLOW_RUN__NAME`)
    first, then Prefect's (`PREFECT__RUNTIME__FLOW_RUN__NAME`); None when neither is set."""
    suffix = f"{module.upper()}__{name.upper()}"
    value = os.environ.get(ENV_PREFIX + suffix)
    return value if value is not None else os.environ.get(PREFECT_ENV_PREFIX + suffix)


def module_attributes(module: str, namespace: dict[str, Any]) -> tuple[Any, Any]:
    """A runtime module's `__getattr__` and `__dir__` (from its `globals()`): each of its functions
    `get_<name>` answers the attribute `<name>` (by `lookup`)."""
    fields = {key[4:]: value for key, value in namespace.items() if key.startswith("get_")}

    def __getattr__(name: str) -> Any:
        return lookup(module, fields, name)

    def __dir__() -> list[str]:
        return sorted(fields)

    return __getattr__, __dir__


def api_url(resource: str, get_id: Callable[[], str | None]) -> Callable[[], str | None]:
    """`get_api_url`: the run's REST resource when flows report to a server (`JUPYTER_ORCH_API_URL`),
    else None."""

    def get_api_url() -> str | None:
        base, run_id = os.environ.get("JUPYTER_ORCH_API_URL"), get_id()
        if not base or not run_id:
            return None
        return f"{base.rstrip('/')}/{resource}/{run_id}"

    return get_api_url


def get_ui_url() -> str | None:
    """None: runs are shown in JupyterLab's sidebar, which has no per-run URL to link to."""
    return None


_records: dict[tuple[str, str], dict[str, Any]] = {}


def _read(kind: str, run_id: str) -> dict[str, Any]:
    key = (kind, run_id)
    record = _records.get(key)
    if record is not None:
        return record
    from jupyter_orch.client import get_client  # local: the client loads only when a record is read

    try:
        record = getattr(get_client(), f"read_{kind}")(run_id) or {}
    except Exception:  # a record that cannot be read (gone, no server) leaves the values empty
        return {}
    if len(_records) > 256:
        _records.clear()
    _records[key] = record
    return record


def read_flow_run(run_id: str | None) -> dict[str, Any]:
    """The flow run's record (cached: what runtime reads of a run does not change meanwhile)."""
    return _read("flow_run", run_id) if run_id else {}


def read_task_run(run_id: str | None) -> dict[str, Any]:
    return _read("task_run", run_id) if run_id else {}


def read_deployment(deployment_id: str | None) -> dict[str, Any]:
    return _read("deployment", deployment_id) if deployment_id else {}


def forget() -> None:
    """Drop the cached records (tests that reuse run ids across databases)."""
    _records.clear()
