"""The client's in-process transport: a request runs the route table's operation on a database
session in this process, each in its own transaction, answering what the server would.

The engine's commonest requests (`plain_ops`) first try their plain-SQL form on a DB-API
connection: on a SQLite file the process's own `sqlite3` connection (`db.plain.PlainSQLite`), so
a flow call never imports SQLAlchemy; on PostgreSQL the session's driver connection. The route
table, pydantic and SQLAlchemy are imported on the first request that needs them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_orch.client import plain_ops
from jupyter_orch.client.transport import Query, Transport, api_error, json_default, query_lists
from jupyter_orch.db.plain import PlainSQLite
from jupyter_orch.db.sqlite import file_of
from jupyter_orch.orchestration import sqlwrite
from jupyter_orch.orchestration.errors import OrchError
from jupyter_orch.settings import get_settings

log = logging.getLogger(__name__)


class LocalTransport(Transport):
    """Dispatch requests through the route table in this process, against `database_url`."""

    mode = "local"

    def __init__(self, database_url: str | None = None, plain: bool = True) -> None:
        """`plain=False` runs every request through the route table (tests compare the two)."""
        if database_url is None:
            database_url = get_settings().database_url
        self.database_url = database_url
        self.db_file = file_of(database_url)
        self._plain: Any = None
        if self.db_file is not None:
            self._plain = PlainSQLite(self.db_file, database_url)
        self._database: Any = None
        self._use_plain = plain

    @property
    def database(self) -> Any:
        """The `api.database.Database` the route table's operations run on (made on first use)."""
        if self._database is None:
            # SQLAlchemy and the route table: not on a flow call's path on SQLite
            from jupyter_orch.api.database import Database

            self._database = Database(self.database_url)
        return self._database

    def request(self, method: str, path: str, query: Query | None = None, body: Any = None) -> Any:
        path = path.strip("/")
        found = None
        if self._use_plain and (isinstance(body, dict) or method == "GET"):
            found = plain_ops.match(method, path)
        if found is not None:
            answer = self._run_plain(*found, body)
            if answer is not plain_ops.PASS:
                return answer
        return self._dispatch(method, path, query, body)

    def _run_plain(self, op: plain_ops.PlainOp, path_id: str | None, writes: bool, body: Any) -> Any:
        """`op` in a transaction of its own; PASS when it passes or fails on something the route's
        operation handles (rolled back; an `OrchError` is the answer, as the route's would be)."""
        try:
            if self._plain is not None:
                if not writes:  # a read: WAL readers never wait for the write lock
                    return op(self._plain.connection(), sqlwrite.dialect("sqlite"), path_id, body)
                with self._plain.transaction() as conn:
                    return op(conn, sqlwrite.dialect("sqlite"), path_id, body)
            with self.database.session(write=writes) as session:
                conn = session.connection()
                raw = conn.connection.driver_connection
                return op(raw, sqlwrite.dialect(conn.dialect.name), path_id, body)
        except OrchError as exc:
            raise api_error(exc.status, exc.code, exc.message, exc.field) from exc
        except sqlwrite.NotEngineRows:
            return plain_ops.PASS
        except Exception:  # the connection may be unusable: a new one next time; the route runs it
            log.debug("jupyter_orch: plain write failed; the route's operation runs it", exc_info=True)
            if self._plain is not None:
                self._plain.close()
            return plain_ops.PASS

    def _dispatch(self, method: str, path: str, query: Query | None, body: Any) -> Any:
        # the route table: pydantic models and the SQLAlchemy store behind every operation
        from jupyter_orch.api.errors import to_orch_error
        from jupyter_orch.api.routing import call, parse_body, parse_params
        from jupyter_orch.api.table import route_table

        try:
            route, path_args = route_table().match(method, "/" + path)
            params = parse_params(route, path_args, query_lists(query))
            parsed = None
            if route.body is not None:
                body = json.loads(json.dumps(body, default=json_default))  # exactly what HTTP would carry
                parsed = parse_body(route, body)
            with self.database.session(write=route.writes) as session:
                return call(route, session, params, parsed)
        except Exception as exc:
            err = to_orch_error(exc)
            if err is None:
                raise
            raise api_error(err.status, err.code, err.message, err.field) from exc

    def close(self) -> None:
        if self._plain is not None:
            self._plain.close()
