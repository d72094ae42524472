"""The runner: Python flows and notebooks as deployments, `serve`, `run_deployment`.

It sits below the engine (`Flow.to_deployment` and `Flow.serve` call it) and above the services
and workers it starts; it reports through the client.
"""

from __future__ import annotations

from jupyter_orch.runner.deploy import deploy
from jupyter_orch.runner.deployment import RunnerDeployment, to_deployment
from jupyter_orch.runner.notebooks import deploy_cell, deploy_notebook
from jupyter_orch.runner.run_deployment import FlowRunResult, run_deployment
from jupyter_orch.runner.runner import Runner, serve_message
from jupyter_orch.runner.serve import aserve, serve
from jupyter_orch.runner.source import load_from_source

__all__ = [
    "aserve",
    "FlowRunResult",
    "Runner",
    "RunnerDeployment",
    "deploy",
    "deploy_cell",
    "deploy_notebook",
    "load_from_source",
    "run_deployment",
    "serve",
    "serve_message",
    "to_deployment",
]
