"""What a worker hands the process that executes one claimed run, typed.

A `RunSpec` is made once, from the claim (`RunSpec.from_claim`), and travels unchanged in kind
from the worker to its executor, through the fork server and into the run process as one JSON
object (`to_json` / `from_json`). Core, below both ends: the worker (workers layer) writes it and
the run process (`jupyter_orch.engine.run_process`, started by module name) reads it, so the
worker never imports the engine or the flows it runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

#: the run process's module, started by name (`python -m`, or imported by it in the fork server)
RUN_PROCESS_MODULE = "jupyter_orch.engine.run_process"

#: exit codes of a plain function's run that its worker started: the worker reports the end
#: (COMPLETED, or FAILED with the last line of the traceback), for many runs in one transaction
EXIT_COMPLETED = 80
EXIT_FAILED = 81


@dataclass(frozen=True)
class DeploymentInfo:
    """What executing a run needs of its deployment (the claim route's `deployment`)."""

    id: str | None = None
    name: str | None = None
    flow_name: str | None = None
    kind: str = "python"
    entrypoint: str | None = None
    path: str | None = None
    storage: dict[str, Any] | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DeploymentInfo:
        data = data or {}
        return cls(
            id=data.get("id"),
            name=data.get("name"),
            flow_name=data.get("flow_name"),
            kind=data.get("kind") or "python",
            entrypoint=data.get("entrypoint"),
            path=data.get("path"),
            storage=data.get("storage"),
            job_variables=data.get("job_variables") or {},
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunSpec:
    """One claimed run as its process executes it.

    `start_at` (epoch s): claimed ahead, the process prepares and starts then; with `release` it
    waits instead for its worker's word (behind the `gate` file of its start time).
    `started_state_id`: the RUNNING state its worker set, once released (the run process's own)."""

    flow_run_id: str
    deployment: DeploymentInfo = field(default_factory=DeploymentInfo)
    parameters: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    start_at: float | None = None
    release: bool = False
    gate: str | None = None
    started_state_id: str | None = None

    @property
    def kind(self) -> str:
        return self.deployment.kind

    @classmethod
    def from_claim(cls, run: dict[str, Any]) -> RunSpec:
        """The spec of a run as the claim route returns it: the run's own `job_variables.env`,
        `start_at` from its PENDING state."""
        return cls(
            flow_run_id=run["id"],
            deployment=DeploymentInfo.from_dict(run.get("deployment")),
            parameters=run.get("parameters") or {},
            env={k: str(v) for k, v in ((run.get("job_variables") or {}).get("env") or {}).items()},
            start_at=_start_at(run),
        )

    def with_(self, **changes: Any) -> RunSpec:
        """A copy with `changes` (the spec itself never changes)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        return cls(
            flow_run_id=data["flow_run_id"],
            deployment=DeploymentInfo.from_dict(data.get("deployment")),
            parameters=data.get("parameters") or {},
            env={k: str(v) for k, v in (data.get("env") or {}).items()},
            start_at=data.get("start_at"),
            release=bool(data.get("release")),
            gate=data.get("gate"),
            started_state_id=data.get("started_state_id"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> RunSpec:
        return cls.from_dict(json.loads(text))


def _start_at(run: dict[str, Any]) -> float | None:
    """When a run claimed ahead is to start (epoch seconds): its PENDING state's scheduled time."""
    state = run.get("state") or {}
    when = state.get("scheduled_time") if state.get("type") == "PENDING" else None
    if not when:
        return None
    dt = datetime.fromisoformat(when) if isinstance(when, str) else when
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
