"""Prefect's `prefect.deployments.runner`: `RunnerDeployment` (what `flow.to_deployment()` makes)
and `RunnerStorage`, the shape of where `Flow.from_source` finds code (a local directory here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from jupyter_orch.runner import RunnerDeployment


@runtime_checkable
class RunnerStorage(Protocol):
    """Where a deployment's code lives: `destination` is the local directory holding it."""

    @property
    def destination(self) -> Path: ...

    async def pull_code(self) -> None: ...

    def to_pull_step(self) -> dict[str, Any]: ...


__all__ = ["RunnerDeployment", "RunnerStorage"]
