"""Notebooks under the Jupyter server's root: their parameters, and deploying them by path.

The JupyterLab "Schedule this notebook" dialog only knows paths relative to the server's root
(`root_dir`, put in `Session.info` by the server with the orchestration `home`; the working
directory and $JUPYTER_ORCH_HOME elsewhere). Paths that
resolve outside the root (`..`, absolute paths, symlinks leading out) are refused with a 422, so
the API cannot be used to read arbitrary files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jupyter_orch.api.models import Id, Params
from jupyter_orch.api.routing import Route
from jupyter_orch.orchestration.errors import Invalid, NotFound
from jupyter_orch.orchestration.store import deployments as store
from jupyter_orch.orchestration.store.flow_runs import read_flow_run
from jupyter_orch.parameters import ParameterError, parameter_schema
from jupyter_orch.settings import get_settings

TAG = "notebooks"


class NotebookPath(Params):
    path: str


class RunOutput(Params):
    id: Id


def resolve_notebook(session: Session, path: str, field: str = "path") -> Path:
    """The notebook file `path` names under the server root, or Invalid/NotFound."""
    root = Path(session.info.get("root_dir") or os.getcwd()).expanduser().resolve()
    if not path or Path(path).is_absolute() or "\\" in path:
        raise Invalid(f"{field} must be a notebook path relative to the server root", field=field)
    target = (root / path).resolve()
    if target != root and root not in target.parents:
        raise Invalid(f"{field} {path!r} is outside the server root", field=field)
    if target.suffix != ".ipynb":
        raise Invalid(f"{field} {path!r} is not a notebook (.ipynb)", field=field)
    if not target.is_file():
        raise NotFound(f"no notebook {path!r} under the server root", field=field)
    return target


def _read(target: Path, field: str) -> Any:
    # heavy: nbformat, only for a notebook deployment
    from jupyter_orch.notebooks.snapshot import read_notebook

    try:
        return read_notebook(target)
    except Exception as exc:  # not JSON, not a notebook: the caller's input, never a 500
        raise Invalid(f"{field}: cannot read {target.name} as a notebook: {exc}", field=field) from exc


def read_parameters(session: Session, p: NotebookPath) -> dict[str, Any]:
    target = resolve_notebook(session, p.path)
    try:
        return parameter_schema(_read(target, "path"), title=target.stem)
    except SyntaxError as exc:
        raise Invalid(f"the parameters cell of {p.path!r} is not valid Python: {exc}", field="path") from exc


def prepare_notebook_deployment(session: Session, data: dict[str, Any]) -> Any:
    """POST /deployments with kind "notebook" and a server-relative `path`: derive the schema
    from the notebook, create/update the deployment, then snapshot it (unless storage says
    `{"type": "live"}`). Returns the deployment row."""
    # heavy: nbformat, only for a notebook deployment
    from jupyter_orch.notebooks.snapshot import notebook_deployment_fields, snapshot_notebook

    target = resolve_notebook(session, data["path"])
    nb = _read(target, "path")
    live = (data.get("storage") or {}).get("type") == "live"
    try:
        fields = notebook_deployment_fields(
            nb, str(target), name=data["name"], flow_name=data["flow_name"], parameters=data.get("parameters")
        )
    except ParameterError as exc:
        raise Invalid(str(exc), field=f"parameters.{exc.field}") from exc
    except SyntaxError as exc:
        raise Invalid(f"the parameters cell is not valid Python: {exc}", field="path") from exc
    for key in ("entrypoint", "path", "parameters", "parameter_openapi_schema"):
        data[key] = fields[key]
    source = str(target)
    data["storage"] = {"type": "live" if live else "snapshot", "source": source, "notebook": source}
    dep = store.upsert_deployment(session, **data)
    if not live:
        dep.storage = snapshot_notebook(nb, dep.id, target.name, source, home=session.info.get("home"))
    return dep


def read_run_output(session: Session, p: RunOutput) -> dict[str, Any]:
    """The output notebook of a notebook run, as nbformat JSON.

    Output notebooks live under $JUPYTER_ORCH_HOME/outputs (outside the server root, where
    JupyterLab's contents API cannot reach), or at an fsspec URL the deployment chose. Local
    paths are served only from the outputs folder or the server root, so a run's
    `output_location` cannot be pointed at an arbitrary file and read back through here.
    """
    # heavy: fsspec and nbformat, only to read a notebook's source
    import fsspec
    import nbformat

    location = read_flow_run(session, p.id).output_location
    if not location:
        raise NotFound(f"flow run {p.id} has no output notebook", field="id")
    protocol = location.split("://", 1)[0] if "://" in location else "file"
    if protocol in ("file", "local"):
        path = Path(location.split("://", 1)[-1]).expanduser().resolve()
        home = Path(session.info.get("home") or get_settings().home).expanduser().resolve()
        root = Path(session.info.get("root_dir") or os.getcwd()).expanduser().resolve()
        allowed = (home / "outputs", root)
        if not any(path == base or base in path.parents for base in allowed):
            raise NotFound(f"the output notebook of flow run {p.id} is not in a served location", field="id")
        location = str(path)
    try:
        with fsspec.open(location, "r", encoding="utf-8") as f:
            nb = nbformat.read(f, as_version=4)
    except FileNotFoundError as exc:
        raise NotFound(f"the output notebook of flow run {p.id} no longer exists", field="id") from exc
    except Exception as exc:
        raise Invalid(f"the output notebook of flow run {p.id} cannot be read: {exc}", field="id") from exc
    return dict(nb)


ROUTES = [
    Route(
        "GET",
        "/flow_runs/{id}/output",
        read_run_output,
        "The output notebook of a notebook run (nbformat JSON)",
        TAG,
        params=RunOutput,
        response=dict[str, object],
    ),
    Route(
        "GET",
        "/notebooks/parameters",
        read_parameters,
        "The JSON schema of a notebook's parameters cell",
        TAG,
        params=NotebookPath,
        response=dict[str, object],
    ),
]
