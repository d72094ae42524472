"""Kept for users' imports: the deployment API lives in `jupyter_orch.runner`."""

from __future__ import annotations

from jupyter_orch.runner import (
    FlowRunResult,
    RunnerDeployment,
    deploy_notebook,
    run_deployment,
    serve,
    to_deployment,
)

__all__ = ["FlowRunResult", "RunnerDeployment", "deploy_notebook", "run_deployment", "serve", "to_deployment"]
