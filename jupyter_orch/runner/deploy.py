"""Deploying from code, as Prefect 3 does: `flow.deploy(...)`, `Flow.from_source(...)` and
`deploy(*deployments)`.

Our work pools run flows as processes on the worker's machine (the built-in local worker, or
`jupyter orch worker start --pool NAME`): there is no image to build or push, so `image=` is a
clear error rather than silently ignored. A source is a local directory, a git repository on this
machine (cloned) or a storage object (see `runner.storage`); a remote URL is a clear error.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import quote

from jupyter_orch.client import new_client
from jupyter_orch.errors import NotFound
from jupyter_orch.runner.deployment import RunnerDeployment


def _refuse_image(image: Any) -> None:
    if image is not None:
        raise ValueError(
            "image= is not supported: jupyter-orch work pools run flows as processes on the "
            "worker's machine (no Docker image is built or pushed). Drop image= and start a worker "
            "where the flow's code and dependencies are installed: jupyter orch worker start --pool NAME"
        )


def check_work_pool(work_pool_name: str | None) -> None:
    """Prefect's ValueError when the pool to deploy to does not exist (before anything is sent)."""
    if not work_pool_name:
        return
    client = new_client()
    try:
        client.get(f"work_pools/{quote(work_pool_name, safe='')}")
    except NotFound as exc:
        raise ValueError(
            f"Could not find work pool {work_pool_name!r}. Please create it before deploying this flow "
            f"(jupyter orch work-pool create {work_pool_name})."
        ) from exc
    finally:
        client.close()


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
