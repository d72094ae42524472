"""The engine's client over HTTP: flows report to a jupyter-orch server (JUPYTER_ORCH_API_URL).

Every call goes through `HTTPTransport`, which retries connection errors and 502/503/504 with
exponential backoff for `retry_seconds` (default 60): a server restarted mid-flow costs a pause,
never a record. Batches that still fail are requeued by the `BatchWriter` and sent again.
"""

from __future__ import annotations

import uuid
from typing import Any

from jupyter_orch.api.transport import ApiError, HTTPTransport
from jupyter_orch.engine.client.base import OrchClient
from jupyter_orch.states import State


class HTTPClient(OrchClient):
    """An `OrchClient` over the REST API (sync httpx, `Authorization: token ...`)."""

    def __init__(
        self, api_url: str, token: str | None = None, retry_seconds: float = 60.0, timeout: float = 30.0
    ) -> None:
        self.transport = HTTPTransport(api_url, token, timeout=timeout, retry_seconds=retry_seconds)
        self.api_url = self.transport.api_url
        #: the last batch that failed, with its id: resent as is before anything else
        self._unacked: tuple[str, dict[str, list[dict[str, Any]]]] | None = None
        super().__init__()

    def create_flow_run(self, **fields: Any) -> dict[str, Any]:
        state = fields.get("state")
        if isinstance(state, State):
            fields["state"] = _state_body(state)
        fields = {k: v for k, v in fields.items() if v is not None}
        # a client-chosen id makes a retried create idempotent: a replay answers 409, we read the run
        fields.setdefault("id", str(uuid.uuid4()))
        try:
            return self.transport.post("flow_runs", fields)
        except ApiError as exc:
            if exc.status == 409 and exc.field == "id":
                return self.read_flow_run(fields["id"])
            raise

    def set_flow_run_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]:
        # the state id makes a retried request idempotent: the server applies it once
        return self.transport.post(
            f"flow_runs/{run_id}/set_state", {"state": _state_body(state), "force": force}
        )

    def read_flow_run(self, run_id: str) -> dict[str, Any]:
        return self.transport.get(f"flow_runs/{run_id}")

    def update_flow_run(self, run_id: str, **fields: Any) -> None:
        self.transport.patch(f"flow_runs/{run_id}", fields)

    def find_cached(self, cache_key: str) -> dict[str, Any] | None:
        return self.transport.get("task_runs/cached", cache_key=cache_key)["task_run"]

    def _read_task_run(self, task_run_id: str) -> dict[str, Any]:
        return self.transport.get(f"task_runs/{task_run_id}")

    def _write_batch(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        """Send a batch under a fresh `batch_id`. If it fails, the answer may have been lost after
        the server applied it: the next call first resends that exact batch under the same id
        (the server skips it if applied) and then only the rows that were not in it (the
        `BatchWriter` requeues the failed rows into the next batch)."""
        if self._unacked is not None:
            batch_id, old = self._unacked
            self._post_batch(batch_id, old)
            self._unacked = None
            sent = {id(row) for rows in old.values() for row in rows}
            batch = {kind: [r for r in rows if id(r) not in sent] for kind, rows in batch.items()}
            if not any(batch.values()):
                return
        batch_id = str(uuid.uuid4())
        try:
            self._post_batch(batch_id, batch)
        except BaseException:
            self._unacked = (batch_id, batch)
            raise

    def _post_batch(self, batch_id: str, batch: dict[str, list[dict[str, Any]]]) -> None:
        self.transport.post("task_runs/batch", {"batch_id": batch_id, **batch})

    def acquire_concurrency_slots(self, tags: list[str], holder_id: str) -> bool:
        body = {"tags": list(tags), "holder_id": holder_id}
        return bool(self.transport.post("concurrency_limits/increment", body)["acquired"])

    def release_concurrency_slots(self, holder_id: str) -> None:
        self.transport.post("concurrency_limits/decrement", {"holder_id": holder_id})

    def limited_tags(self) -> frozenset[str]:
        return frozenset(limit["tag"] for limit in self.transport.get("concurrency_limits")["items"])

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.transport.close()


def _state_body(state: State) -> dict[str, Any]:
    body = state.to_dict()
    return {k: v for k, v in body.items() if v is not None}


__all__ = ["ApiError", "HTTPClient"]
