"""`OrchClient`: the one typed client of the orchestration API, over either transport.

Its methods are named after the REST operations of the route table (`api/resources`) and answer
what they answer (plain dicts in the REST API's shapes); `request`/`get`/`post`/`patch`/`delete`
reach any other operation by method and path. The transport decides where a request runs:
`LocalTransport` in this process against the database, `HTTPTransport` on a server.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from urllib.parse import quote

from jupyter_orch.client.batch import BatchWriter
from jupyter_orch.client.transport import ApiError, Query, Transport
from jupyter_orch.settings import writer_max_pending
from jupyter_orch.states import State, new_uuid, utcnow


class OrchClient:
    """The orchestration API through `transport`; `writer` batches the engine's task-run records."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.writer = BatchWriter(self.apply_task_run_batch, max_pending=writer_max_pending())
        #: HTTP: the last batch that failed, with its id: resent as is before anything else
        self._unacked: tuple[str, dict[str, list[dict[str, Any]]]] | None = None

    @property
    def mode(self) -> str:
        """ "local" (in-process) or "http"."""
        return self.transport.mode

    # -- any operation by method and path ---------------------------------------------------------
    def request(self, method: str, path: str, query: Query | None = None, body: Any = None) -> Any:
        return self.transport.request(method, path, query, body)

    def get(self, path: str, **query: Any) -> Any:
        return self.transport.request("GET", path, query)

    def post(self, path: str, body: Any = None, **query: Any) -> Any:
        return self.transport.request("POST", path, query, {} if body is None else body)

    def patch(self, path: str, body: Any) -> Any:
        return self.transport.request("PATCH", path, None, body)

    def delete(self, path: str) -> Any:
        return self.transport.request("DELETE", path)

    # -- flow runs --------------------------------------------------------------------------------
    def create_flow_run(self, **fields: Any) -> dict[str, Any]:
        """`POST /flow_runs` (fields as `FlowRunCreate`; `state` a `State` or its dict)."""
        body = {k: v for k, v in fields.items() if v is not None}
        if not self.transport.remote:
            return self.post("flow_runs", body)
        # a client-chosen id makes a retried create idempotent: a replay answers 409, we read the run
        body.setdefault("id", new_uuid())
        try:
            return self.post("flow_runs", body)
        except ApiError as exc:
            if exc.status == 409 and exc.field == "id":
                return self.read_flow_run(body["id"])
            raise

    def read_flow_run(self, run_id: str) -> dict[str, Any]:
        return self.get(f"flow_runs/{run_id}")

    def update_flow_run(self, run_id: str, **fields: Any) -> dict[str, Any]:
        """`PATCH /flow_runs/{id}`: descriptive fields (`progress`, `output_location`, ...)."""
        return self.patch(f"flow_runs/{run_id}", fields)

    def set_flow_run_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]:
        """Propose a state: `{"status", "state", "reason", "delay_seconds"?}`. The state's id
        makes a retried request idempotent: the server applies it once."""
        return self.post(f"flow_runs/{run_id}/set_state", {"state": state, "force": force})

    def set_flow_run_states(
        self, proposals: list[tuple[str, State]], force: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Propose a state for each of many runs in one transaction: {run_id: answer}."""
        if not proposals:
            return {}
        items = [{"flow_run_id": run_id, "state": state} for run_id, state in proposals]
        answers = self.post("flow_runs/set_states", {"items": items, "force": force})["items"]
        return {item.pop("flow_run_id"): item for item in answers}

    # -- task runs and what the engine batches ------------------------------------------------------
    def find_cached_task_run(self, cache_key: str) -> dict[str, Any] | None:
        """The newest unexpired completed task run with this cache key in the database, or None."""
        return self.get("task_runs/cached", cache_key=cache_key)["task_run"]

    def lookup_cached(self, cache_key: str) -> dict[str, Any] | None:
        """The newest unexpired completed task run with this cache key, this process's own
        unwritten ones first (a second call with the same key in one flow run is a hit)."""
        row = self.writer.pending_cached(cache_key, utcnow())
        if row is None:
            return self.find_cached_task_run(cache_key)
        return {
            "id": row["id"],
            "cache_expiration": row["cache_expiration"],
            "state": {
                "id": row["state_id"],
                "type": row["state_type"],
                "name": row["state_name"],
                "message": row["state_message"],
                "timestamp": row["state_timestamp"].isoformat(),
                "data": (row["state_data"] or {}).get("result"),
                "task_run_id": row["id"],
            },
        }

    def read_task_run(self, task_run_id: str) -> dict[str, Any]:
        """`GET /task_runs/{id}`, after writing whatever of it is still queued."""
        if self.writer.holds_task_run(task_run_id):
            self.writer.flush()
        return self.get(f"task_runs/{task_run_id}")

    def apply_task_run_batch(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        """`POST /task_runs/batch`. Over HTTP under a fresh `batch_id`: if it fails, the answer may
        have been lost after the server applied it, so the next call first resends that exact
        batch under the same id (the server skips it if applied) and then only the rows that were
        not in it (the `BatchWriter` requeues the failed rows into the next batch)."""
        if not self.transport.remote:
            self.post("task_runs/batch", batch)
            return
        if self._unacked is not None:
            batch_id, old = self._unacked
            self.post("task_runs/batch", {"batch_id": batch_id, **old})
            self._unacked = None
            sent = {id(row) for rows in old.values() for row in rows}
            batch = {kind: [r for r in rows if id(r) not in sent] for kind, rows in batch.items()}
            if not any(batch.values()):
                return
        batch_id = new_uuid()
        try:
            self.post("task_runs/batch", {"batch_id": batch_id, **batch})
        except BaseException:
            self._unacked = (batch_id, batch)
            raise

    def create_logs(self, records: list[dict[str, Any]]) -> None:
        if records:
            self.post("logs", records)

    # -- task-run concurrency limits (tags) --------------------------------------------------------
    def list_concurrency_limits(self) -> list[dict[str, Any]]:
        return self.get("concurrency_limits")["items"]

    def limited_tags(self) -> frozenset[str]:
        """The tags that carry a concurrency limit (so untagged tasks never ask)."""
        return frozenset(limit["tag"] for limit in self.list_concurrency_limits())

    def increment_concurrency_slots(self, tags: list[str], holder_id: str) -> bool:
        """Take one slot of each limited tag for `holder_id`; False if any limit is full."""
        body = {"tags": list(tags), "holder_id": holder_id}
        return bool(self.post("concurrency_limits/increment", body)["acquired"])

    def decrement_concurrency_slots(self, holder_id: str) -> None:
        self.post("concurrency_limits/decrement", {"holder_id": holder_id})

    # -- deployments --------------------------------------------------------------------------------
    def create_deployment(self, payload: dict[str, Any]) -> dict[str, Any]:
        """`POST /deployments`: created, or updated if one of that flow and name exists."""
        return self.post("deployments", payload)

    def read_deployment(self, name_or_id: str) -> dict[str, Any]:
        """By id, or by its `flow-name/deployment-name`."""
        if "/" in name_or_id:
            flow, name = name_or_id.split("/", 1)
            return self.get(f"deployments/name/{quote(flow, safe='')}/{quote(name, safe='')}")
        return self.get(f"deployments/{name_or_id}")

    def create_flow_run_from_deployment(self, deployment_id: str, **fields: Any) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        return self.post(f"deployments/{deployment_id}/create_flow_run", body)

    # -- work pools and workers ---------------------------------------------------------------------
    def worker_heartbeat(self, pool: str, worker: str, running: list[str]) -> dict[str, str]:
        """Register/refresh the worker and its runs; answers {run_id: state_type}."""
        body = {
            "name": worker,
            "running_flow_run_ids": running,
            "hostname": os.uname().nodename,
            "pid": os.getpid(),
        }
        out = self.post(f"work_pools/{quote(pool, safe='')}/workers/heartbeat", body)
        return (out or {}).get("states", {})

    def get_scheduled_flow_runs(
        self,
        pool: str,
        worker: str,
        limit: int,
        deployment_ids: list[str] | None = None,
        queues: list[str] | None = None,
        scheduled_before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Claim due runs; each run dict carries a "deployment" with what executing it needs.
        With `scheduled_before` in the future, runs due by then are claimed ahead (PENDING with
        the `scheduled_time` to start them at)."""
        body: dict[str, Any] = {"worker_name": worker, "limit": limit}
        if deployment_ids:
            body["deployment_ids"] = deployment_ids
        if queues:
            body["work_queue_names"] = queues
        if scheduled_before is not None:
            body["scheduled_before"] = scheduled_before
        return self.post(f"work_pools/{quote(pool, safe='')}/get_scheduled_flow_runs", body)["items"]

    # -- lifecycle ------------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> None:
        self.writer.flush(timeout)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.transport.close()
