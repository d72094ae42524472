"""The embedded client on a SQLite file without SQLAlchemy on the engine's path.

What the engine writes on every flow call — the flow, the flow run, its state changes (the
rules and a compare-and-set), and the batches of task runs, states, edges and logs — goes over
one plain `sqlite3` connection through `orchestration.sqlwrite`, the same code the SQLAlchemy
store runs for these writes (on its session's DB-API connection, then its state-change hooks).
The connection is opened like SQLAlchemy's (`db/sqlite.py`: WAL, busy timeout,
BEGIN IMMEDIATE behind the same cross-process writer queue). The schema check reads
`alembic_version` directly; only a database that is not at head goes through Alembic.

Everything else (cache lookups, reads, concurrency slots, artifacts) and any state change that
a state-change hook has work for (a notification policy exists, a concurrency slot is held, or
a hook `sqlwrite.hooks` does not know is installed) takes the SQLAlchemy store as before.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from jupyter_orch.db import sqlite as sqlite_db
from jupyter_orch.engine.client.embedded import EmbeddedClient
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.sqlwrite.hooks import hooks_have_work
from jupyter_orch.states import State

#: the fields of `create_flow_run` this path writes; anything else goes to the store
_CREATE_FIELDS = frozenset(
    {"flow_name", "parameters", "state", "empirical_policy", "parameter_schema", "parent_task_run_id",
     "parent_flow_run_id", "tags", "name"}
)  # fmt: skip
_EMPTY_COLUMNS = ("worker_name", "infrastructure_pid", "last_heartbeat", "progress", "output_location")


class SQLiteClient(EmbeddedClient):
    """An `EmbeddedClient` whose engine write path uses `sqlite3` directly."""

    def __init__(self, database_url: str, db_file: str) -> None:
        self.db_file = db_file
        self.dialect = sqlwrite.dialect("sqlite")
        self._queue = sqlite_db.writer_queue(db_file)
        self._conn: Any = None
        self._pid = -1
        self._conn_lock = threading.Lock()
        super().__init__(database_url)

    def _connection(self) -> Any:
        conn = self._conn
        if conn is None or self._pid != os.getpid():  # first use, or a forked child: its own
            with self._conn_lock:
                if self._conn is None or self._pid != os.getpid():
                    self._conn = self._open()
                    self._pid = os.getpid()
                conn = self._conn
        return conn

    def _open(self) -> Any:
        from jupyter_orch.db import migrate

        conn = sqlite_db.connect(self.db_file)
        if migrate.sqlite_revision(conn) != migrate.HEAD_REVISION:
            conn.close()
            from jupyter_orch.db.session import get_engine

            get_engine(self.database_url)  # Alembic upgrades it to head (under its own lock)
            conn = sqlite_db.connect(self.db_file)
        return conn

    def _transaction(self) -> Any:
        return sqlite_db.write_transaction(self._connection(), self._queue)

    # -- the engine's write path -----------------------------------------------------------------
    def create_flow_run(self, **fields: Any) -> dict[str, Any]:
        state = fields.get("state")
        if isinstance(state, dict):
            fields["state"] = State.from_dict(state)
        if not fields.get("flow_name") or set(fields) - _CREATE_FIELDS:
            return super().create_flow_run(**fields)
        parameters = fields.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            return super().create_flow_run(**fields)  # the store answers Invalid
        with self._transaction() as conn:
            if hooks_have_work(conn):
                values = None
            else:
                values = sqlwrite.create_flow_run(conn, self.dialect, **fields)
        if values is None:
            return super().create_flow_run(**fields)
        from jupyter_orch.orchestration.serialize import run_values_to_dict

        return run_values_to_dict({**values, **dict.fromkeys(_EMPTY_COLUMNS)})

    def set_flow_run_state(self, run_id: str, state: State, force: bool = False) -> dict[str, Any]:
        with self._transaction() as conn:
            if hooks_have_work(conn):
                decision = None
            else:
                decision = sqlwrite.set_flow_run_state(conn, self.dialect, run_id, state, force=force)
        if decision is None:
            return super().set_flow_run_state(run_id, state, force=force)
        return decision.to_dict()

    def limited_tags(self) -> frozenset[str]:
        # a read: WAL readers never wait for the write lock, so no transaction of the writer queue
        rows = self._connection().execute("SELECT tag FROM concurrency_limits").fetchall()
        return frozenset(row[0] for row in rows)

    def _write_batch(self, batch: dict[str, list[dict[str, Any]]]) -> None:
        try:
            with self._transaction() as conn:
                sqlwrite.write_batch(conn, self.dialect, batch)
        except sqlwrite.NotEngineRows:  # rolled back: the store validates and fills in defaults
            super()._write_batch(batch)

    def close(self) -> None:
        try:
            super().close()
        finally:
            with self._conn_lock:
                conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
