"""PostgreSQL: notify the live event feed when run states, logs and artifacts are committed

Each trigger sends one small JSON payload on channel `orch_events` (PostgreSQL delivers it at
commit, to every listening server). Text is cut to stay far below NOTIFY's 8,000-byte payload limit
(a log line's whole text stays in the table; the event says `truncated`). SQLite needs nothing: its
feed reads new rows by rowid.

Revision ID: 0009_event_triggers
Revises: 0005_sparse_flow_run_indexes
Create Date: 2026-12-05 09:40:00.000000
"""

from alembic import op

revision = "0009_event_triggers"
down_revision = "0005_sparse_flow_run_indexes"
branch_labels = None
depends_on = None

FUNCTIONS = {
    "flow_run_states": """
DECLARE r record;
BEGIN
  SELECT flow_id, deployment_id, name INTO r FROM flow_runs WHERE id = NEW.flow_run_id;
  PERFORM pg_notify('orch_events', json_build_object(
    'kind', 'flow_run', 'id', NEW.flow_run_id, 'flow_run_id', NEW.flow_run_id, 'name', r.name,
    'flow_id', r.flow_id, 'deployment_id', r.deployment_id, 'state_type', NEW.type,
    'state_name', NEW.name, 'message', left(NEW.message, 1000), 'timestamp', NEW.timestamp)::text);
  RETURN NULL;
END""",
    "task_run_states": """
DECLARE r record;
BEGIN
  SELECT flow_run_id, name INTO r FROM task_runs WHERE id = NEW.task_run_id;
  PERFORM pg_notify('orch_events', json_build_object(
    'kind', 'task_run', 'id', NEW.task_run_id, 'task_run_id', NEW.task_run_id,
    'flow_run_id', r.flow_run_id, 'name', r.name, 'state_type', NEW.type, 'state_name', NEW.name,
    'message', left(NEW.message, 1000), 'timestamp', NEW.timestamp)::text);
  RETURN NULL;
END""",
    "logs": """
BEGIN
  PERFORM pg_notify('orch_events', json_build_object(
    'kind', 'log', 'id', NEW.id, 'flow_run_id', NEW.flow_run_id, 'task_run_id', NEW.task_run_id,
    'name', left(NEW.name, 255), 'level', NEW.level, 'message', left(NEW.message, 1500),
    'truncated', length(NEW.message) > 1500, 'timestamp', NEW.timestamp)::text);
  RETURN NULL;
END""",
    "artifacts": """
BEGIN
  PERFORM pg_notify('orch_events', json_build_object(
    'kind', 'artifact', 'id', NEW.id, 'key', NEW.key, 'type', NEW.type,
    'description', left(NEW.description, 500), 'flow_run_id', NEW.flow_run_id,
    'task_run_id', NEW.task_run_id, 'timestamp', NEW.created)::text);
  RETURN NULL;
END""",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, body in FUNCTIONS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION orch_event_{table}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$"
        )
        op.execute(f"DROP TRIGGER IF EXISTS orch_event_{table} ON {table}")
        op.execute(
            f"CREATE TRIGGER orch_event_{table} AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION orch_event_{table}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in FUNCTIONS:
        op.execute(f"DROP TRIGGER IF EXISTS orch_event_{table} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS orch_event_{table}()")
