"""The run write path as plain SQL over a DB-API connection, without SQLAlchemy.

Flow-run creates and state changes are written through `orchestration.run_writer.RunWriter`
(this code, then the state hooks), on whichever DB-API connection the caller holds: the
SQLAlchemy store its session's raw connection (`bulk.py`, `task_runs.apply_batch` and every
flow-run create and state change in `store/flow_runs.py`), the client's in-process transport and
the server's writer thread their own `sqlite3` connection (`db/plain.py`), so a first flow call
never imports SQLAlchemy.

Rows are converted by one generated function per table and dialect (no per-row loop over
columns); values are stored exactly as SQLAlchemy stores them — SQLite DATETIME text with
microseconds, JSON text (`null` for None), JSONB on PostgreSQL — so rows written either way
read back the same. A test keeps the column lists here equal to the models'.
"""

from jupyter_orch.orchestration.sqlwrite.flow_runs import (
    Written,
    create_flow_run,
    judge,
    set_flow_run_state,
    set_flow_run_states,
)
from jupyter_orch.orchestration.sqlwrite.flows import flow_id_by_name, generate_run_name
from jupyter_orch.orchestration.sqlwrite.rows import (
    JSON,
    MULTIROW_MAX_ROWS,
    MULTIROW_MAX_VARIABLES,
    STATE_COLUMN_NAMES,
    TABLES,
    TS,
    Dialect,
    dialect,
    insert_rows,
    read_json,
    read_ts,
    sqlite_ts,
)
from jupyter_orch.orchestration.sqlwrite.task_runs import (
    TASK_RUN_UPDATE_COLUMNS,
    NotEngineRows,
    write_batch,
    write_engine_rows,
)

__all__ = [
    "JSON",
    "MULTIROW_MAX_ROWS",
    "MULTIROW_MAX_VARIABLES",
    "STATE_COLUMN_NAMES",
    "TABLES",
    "TASK_RUN_UPDATE_COLUMNS",
    "TS",
    "Dialect",
    "NotEngineRows",
    "Written",
    "create_flow_run",
    "dialect",
    "flow_id_by_name",
    "generate_run_name",
    "insert_rows",
    "judge",
    "read_json",
    "read_ts",
    "set_flow_run_state",
    "set_flow_run_states",
    "sqlite_ts",
    "write_batch",
    "write_engine_rows",
]
