"""The worker transport that calls the store directly (one short transaction per call)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jupyter_orch.db.session import read_scope, session_scope
from jupyter_orch.orchestration.serialize import run_to_dict
from jupyter_orch.orchestration.store import concurrency, flow_runs, logs, notifications, workers  # noqa: F401  (state hooks)
from jupyter_orch.orchestration.store import deployments as dep_store
from jupyter_orch.states import State
from jupyter_orch.workers.transport import Transport, deployment_exec_info


class DBTransport(Transport):
    def __init__(self, db_url: str | None = None) -> None:
        self.db_url = db_url

    def heartbeat(self, pool: str, worker: str, running: list[str]) -> dict[str, str]:
        import os
        import socket

        with session_scope(self.db_url) as s:
            return workers.worker_heartbeat(s, pool, worker, running, socket.gethostname(), os.getpid())

    def claim(
        self,
        pool: str,
        worker: str,
        limit: int,
        deployment_ids: list[str] | None = None,
        queues: list[str] | None = None,
        scheduled_before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        with session_scope(self.db_url) as s:
            runs = workers.get_scheduled_flow_runs(
                s,
                pool,
                worker,
                limit,
                scheduled_before=scheduled_before,
                work_queue_names=queues,
                deployment_ids=deployment_ids,
            )
            out = []
            infos: dict[str, dict[str, Any]] = {}
            for run in runs:
                d = run_to_dict(run)
                if run.deployment_id:
                    if run.deployment_id not in infos:
                        dep = dep_store.read_deployment(s, run.deployment_id)
                        infos[run.deployment_id] = deployment_exec_info(dep)
                    d["deployment"] = infos[run.deployment_id]
                out.append(d)
            return out

    def read_flow_run(self, run_id: str) -> dict[str, Any]:
        with read_scope(self.db_url) as s:  # never queues behind (or blocks) the writers
            return run_to_dict(flow_runs.read_flow_run(s, run_id))

    def set_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]:
        with session_scope(self.db_url) as s:
            return flow_runs.set_flow_run_state(s, run_id, state, force=force).to_dict()

    def set_states(self, proposals: list[tuple[str, State]]) -> dict[str, dict[str, Any]]:
        if not proposals:
            return {}
        with session_scope(self.db_url) as s:
            answers = flow_runs.set_flow_run_states(s, proposals)
        return {run_id: d.to_dict() for run_id, d in answers.items()}

    def update_flow_run(self, run_id: str, **fields: Any) -> None:
        with session_scope(self.db_url) as s:
            flow_runs.update_flow_run(s, run_id, **fields)

    def write_logs(self, records: list[dict[str, Any]]) -> None:
        if records:
            with session_scope(self.db_url) as s:
                logs.create_logs(s, records)

    def apply_deployment(self, payload: dict[str, Any]) -> dict[str, Any]:
        with session_scope(self.db_url) as s:
            dep = dep_store.upsert_deployment(s, **payload)
            return dep_store.deployment_to_dict(s, dep, preview=0)

    def read_deployment(self, name_or_id: str) -> dict[str, Any]:
        with session_scope(self.db_url) as s:
            return dep_store.deployment_to_dict(
                s, dep_store.read_deployment_by_name(s, name_or_id), preview=0
            )

    def create_flow_run_from_deployment(self, deployment_id: str, **fields: Any) -> dict[str, Any]:
        with session_scope(self.db_url) as s:
            return run_to_dict(dep_store.create_flow_run_from_deployment(s, deployment_id, **fields))
