"""`run_deployment("flow/deployment")`: start a run of a deployment now and wait for its end."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jupyter_orch.client import OrchClient, new_client
from jupyter_orch.states import State


@dataclass
class FlowRunResult:
    """What `run_deployment` returns: the run as the API shows it, with its state as a `State`."""

    id: str
    name: str
    flow_name: str
    deployment_id: str | None
    parameters: dict[str, Any]
    state: State | None
    output_location: str | None
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FlowRunResult:
        state = State.from_dict({**d["state"], "flow_run_id": d["id"]}) if d.get("state") else None
        return cls(
            d["id"],
            d["name"],
            d["flow_name"],
            d.get("deployment_id"),
            d.get("parameters") or {},
            state,
            d.get("output_location"),
            d,
        )

    @property
    def state_type(self) -> str | None:
        return self.state.type.value if self.state else None


def run_deployment(
    name: str,
    parameters: dict[str, Any] | None = None,
    timeout: float | None = None,
    *,
    tags: list[str] | None = None,
    scheduled_time: datetime | None = None,
    poll_interval: float = 0.2,
    client: OrchClient | None = None,
) -> FlowRunResult:
    """Create a run of deployment "flow-name/deployment-name" (or id) and wait for it to end.

    `timeout=None` waits for as long as it takes, `timeout=0` returns at once; on timeout the run
    is returned in whatever state it has reached (it keeps going).
    """
    client = client or new_client()
    dep = client.read_deployment(name)
    run = client.create_flow_run_from_deployment(
        dep["id"], parameters=parameters, tags=tags, scheduled_time=scheduled_time
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    while run["state_type"] not in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(
            poll_interval if deadline is None else max(0.0, min(poll_interval, deadline - time.monotonic()))
        )
        run = client.read_flow_run(run["id"])
    return FlowRunResult.from_dict(run)
