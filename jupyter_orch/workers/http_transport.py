"""The worker transport over a server's REST API (`/orch/api`), with the Jupyter token."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from jupyter_orch.orchestration.errors import Conflict, Invalid, NotFound, OrchError
from jupyter_orch.states import State
from jupyter_orch.workers.transport import Transport

_ERRORS = {404: NotFound, 409: Conflict, 422: Invalid}


class HTTPTransport(Transport):
    def __init__(self, api_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        base = api_url.rstrip("/")
        if not base.endswith("/orch/api"):
            base += "/orch/api"
        headers = {"Authorization": f"token {token}"} if token else {}
        self.client = httpx.Client(base_url=base, headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        response = self.client.request(method, path, **kw)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"message": response.text}
            cls = _ERRORS.get(response.status_code, OrchError)
            raise cls(body.get("message", response.reason_phrase), field=body.get("field"))
        return response.json() if response.content else None

    def heartbeat(self, pool: str, worker: str, running: list[str]) -> dict[str, str]:
        body = {"name": worker, "running_flow_run_ids": running}
        out = self._call("POST", f"/work_pools/{quote(pool)}/workers/heartbeat", json=body)
        return (out or {}).get("states", {})

    def claim(
        self,
        pool: str,
        worker: str,
        limit: int,
        deployment_ids: list[str] | None = None,
        queues: list[str] | None = None,
        scheduled_before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"worker_name": worker, "limit": limit}
        if deployment_ids:
            body["deployment_ids"] = deployment_ids
        if queues:
            body["work_queue_names"] = queues
        if scheduled_before is not None:
            body["scheduled_before"] = scheduled_before.isoformat()
        return self._call("POST", f"/work_pools/{quote(pool)}/get_scheduled_flow_runs", json=body)["items"]

    def read_flow_run(self, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/flow_runs/{run_id}")

    def set_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]:
        return self._call(
            "POST", f"/flow_runs/{run_id}/set_state", json={"state": state.to_dict(), "force": force}
        )

    def set_states(self, proposals: list[tuple[str, State]]) -> dict[str, dict[str, Any]]:
        if not proposals:
            return {}
        body = {"items": [{"flow_run_id": run_id, "state": st.to_dict()} for run_id, st in proposals]}
        items = self._call("POST", "/flow_runs/set_states", json=body)["items"]
        return {item.pop("flow_run_id"): item for item in items}

    def update_flow_run(self, run_id: str, **fields: Any) -> None:
        self._call("PATCH", f"/flow_runs/{run_id}", json=fields)

    def write_logs(self, records: list[dict[str, Any]]) -> None:
        if records:
            rows = [
                {**r, "timestamp": r["timestamp"].isoformat()} if "timestamp" in r else r for r in records
            ]
            self._call("POST", "/logs", json=rows)

    def apply_deployment(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/deployments", json=payload)

    def read_deployment(self, name_or_id: str) -> dict[str, Any]:
        if "/" in name_or_id:
            flow, name = name_or_id.split("/", 1)
            return self._call("GET", f"/deployments/name/{quote(flow)}/{quote(name)}")
        return self._call("GET", f"/deployments/{name_or_id}")

    def create_flow_run_from_deployment(self, deployment_id: str, **fields: Any) -> dict[str, Any]:
        body = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fields.items() if v is not None
        }
        return self._call("POST", f"/deployments/{deployment_id}/create_flow_run", json=body)

    def close(self) -> None:
        self.client.close()
