"""The embedded client: the engine writes straight to the database through the store functions,
each call in its own transaction (so the same rules hold as behind the REST API).

SQLAlchemy is imported on first use, not with this module: on SQLite the engine's own write
path goes through `lite.SQLiteClient` and a first flow call never needs it.
"""

from __future__ import annotations

from typing import Any

from jupyter_orch.engine.client.base import OrchClient
from jupyter_orch.states import State, utcnow


class EmbeddedClient(OrchClient):
    """An `OrchClient` over a SQLAlchemy URL (SQLite or PostgreSQL)."""

    def __init__(self, database_url: str | None = None) -> None:
        if database_url is None:
            from jupyter_orch.settings import get_settings

            database_url = get_settings().database_url
        self.database_url = database_url
        super().__init__()

    def _session(self) -> Any:
        from jupyter_orch.db.session import session_scope

        return session_scope(self.database_url)

    def create_flow_run(self, **fields: Any) -> dict[str, Any]:
        from jupyter_orch.orchestration.serialize import run_to_dict
        from jupyter_orch.orchestration.store import flow_runs

        state = fields.get("state")
        if isinstance(state, dict):
            fields["state"] = State.from_dict(state)
        with self._session() as session:
            return run_to_dict(flow_runs.create_flow_run(session, **fields))

    def set_flow_run_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]:
        from jupyter_orch.orchestration.store import flow_runs

        with self._session() as session:
            return flow_runs.set_flow_run_state(session, run_id, state, force=force).to_dict()

    def read_flow_run(self, run_id: str) -> dict[str, Any]:
        from jupyter_orch.orchestration.serialize import run_to_dict
        from jupyter_orch.orchestration.store import flow_runs

        with self._session() as session:
            return run_to_dict(flow_runs.read_flow_run(session, run_id))

    def update_flow_run(self, run_id: str, **fields: Any) -> None:
        from jupyter_orch.orchestration.store import flow_runs

        with self._session() as session:
            flow_runs.update_flow_run(session, run_id, **fields)

    def find_cached(self, cache_key: str) -> dict[str, Any] | None:
        from jupyter_orch.orchestration.serialize import run_to_dict
        from jupyter_orch.orchestration.store import task_runs

        with self._session() as session:
            row = task_runs.find_cached(session, cache_key, utcnow())
            return run_to_dict(row) if row is not None else None

    def _read_task_run(self, task_run_id: str) -> dict[str, Any]:
        from jupyter_orch.orchestration.serialize import run_to_dict
        from jupyter_orch.orchestration.store import task_runs

        with self._session() as session:
            return run_to_dict(task_runs.read_task_run(session, task_run_id))

    # -- task-run concurrency limits (tags) ------------------------------------------------------
    def limited_tags(self) -> frozenset[str]:
        from jupyter_orch.orchestration.store import concurrency

        with self._session() as session:
            return concurrency.limited_tags(session)

    def acquire_concurrency_slots(self, tags: list[str], holder_id: str) -> bool:
        from jupyter_orch.orchestration.store import concurrency

        with self._session() as session:
            return concurrency.acquire_tag_slots(session, tags, holder_id)

    def release_concurrency_slots(self, holder_id: str) -> None:
        from jupyter_orch.orchestration.store import concurrency

        with self._session() as session:
            concurrency.release_slots(session, holder_id)

    def _write_batch(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        from jupyter_orch.orchestration.store import task_runs

        with self._session() as session:
            task_runs.apply_batch(session, batch)
