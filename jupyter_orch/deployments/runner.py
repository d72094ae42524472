"""Prefect's `prefect.deployments.runner`: `RunnerDeployment` (what `flow.to_deployment()` makes)
`RunnerStorage`, the shape of where `Flow.from_source` finds code, and `deploy(*deployments)`
(which `flow.deploy(...)` calls through this module, as Prefect's)."""

from __future__ import annotations

from jupyter_orch.runner import RunnerDeployment, deploy
from jupyter_orch.runner.storage import RunnerStorage

__all__ = ["RunnerDeployment", "RunnerStorage", "deploy"]
