"""Deploying from code, as Prefect 3 does: `flow.deploy(...)`, `Flow.from_source(...)` and
`deploy(*deployments)`.

Our work pools run flows as processes on the worker's machine (the built-in local worker, or
`jupyter orch worker start --pool NAME`): there is no image to build or push, so `image=` is a
clear error rather than silently ignored. A source is a local directory; a remote (git) source is
a clear error until it is supported.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from jupyter_orch.client import new_client
from jupyter_orch.entrypoints import load_entrypoint
from jupyter_orch.runner.deployment import RunnerDeployment

_REMOTE = ("://", "git@")


def _refuse_image(image: Any) -> None:
    if image is not None:
        raise ValueError(
            "image= is not supported: jupyter-orch work pools run flows as processes on the "
            "worker's machine (no Docker image is built or pushed). Drop image= and start a worker "
            "where the flow's code and dependencies are installed: jupyter orch worker start --pool NAME"
        )


def deploy(
    *deployments: RunnerDeployment,
    work_pool_name: str | None = None,
    image: Any = None,
    build: bool = True,
    push: bool = True,
    print_next_steps_message: bool = True,
    ignore_warnings: bool = False,
) -> list[str]:
    """Create or update each deployment (in `work_pool_name` when given); their ids.

    `build`, `push` and `ignore_warnings` are accepted for Prefect code and have nothing to do
    here (no image is built)."""
    _refuse_image(image)
    if not deployments:
        raise ValueError("deploy() needs at least one deployment (flow.to_deployment(...))")
    client = new_client()
    try:
        ids = []
        for dep in deployments:
            if work_pool_name:
                dep.work_pool_name = work_pool_name
            ids.append(dep.apply(client))
    finally:
        client.close()
    if print_next_steps_message:
        pools = sorted({d.work_pool_name or "default" for d in deployments})
        names = ", ".join(d.full_name for d in deployments)
        print(
            f"Deployed {names}. Runs are executed by a worker of pool(s) {', '.join(pools)} "
            "(the Jupyter server's built-in worker serves 'default'; elsewhere: "
            f"jupyter orch worker start --pool {pools[0]}). Start one now with: "
            f"jupyter orch deployment run {deployments[0].full_name}",
            file=sys.stdout,
            flush=True,
        )
    return ids


def load_from_source(source: str | Path, entrypoint: str) -> Any:
    """The flow named by `entrypoint` ("path/to/file.py:flow_function") inside the local directory
    `source`, remembered as coming from there so its deployments run it from there."""
    text = str(source)
    if any(marker in text for marker in _REMOTE):
        raise ValueError(
            f"from_source({text!r}): remote sources (git, s3, ...) are not supported yet; "
            "clone or copy it to a local directory and pass that path"
        )
    root = Path(text).expanduser().resolve()
    if not root.is_dir():
        raise ValueError(f"from_source: {text!r} is not a directory")
    file, _, name = entrypoint.rpartition(":")
    if not file.endswith(".py") or not name:
        raise ValueError(f"entrypoint {entrypoint!r} must look like 'path/to/file.py:flow_function'")
    if not (root / file).resolve().is_relative_to(root):
        raise ValueError(f"entrypoint {entrypoint!r} points outside the source directory")
    if not (root / file).is_file():
        raise ValueError(f"entrypoint {entrypoint!r}: no file {file} in {root}")
    obj = load_entrypoint(entrypoint, str(root))
    if not hasattr(obj, "to_deployment"):
        raise TypeError(f"entrypoint {entrypoint!r} is not a flow (decorate it with @flow)")
    obj.source = (str(root), entrypoint)
    return obj
