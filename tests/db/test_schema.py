"""The schema: migrations reach head on both databases, SQLite is tuned, list queries are indexed."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from jupyter_orch.db import migrate
from jupyter_orch.db.models import Base
from jupyter_orch.db.session import get_engine
from jupyter_orch.db.sqlite import writer_queue


def test_head_revision_constant_matches_migrations() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == migrate.HEAD_REVISION


def test_migrations_create_every_model_table(db_url: str) -> None:
    engine = get_engine(db_url)
    assert migrate.current_revision(engine) == migrate.HEAD_REVISION
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrated_schema_matches_models(db_url: str) -> None:
    """Autogenerate finds nothing to do: the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reset_empties_and_upgrades(db_url: str) -> None:
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO leases (name, holder, expires_at) VALUES ('x', 'y', '2030-01-01')"))
    migrate.reset(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM leases")).scalar() == 0
    assert migrate.current_revision(engine) == migrate.HEAD_REVISION


def test_sqlite_runs_in_wal_with_busy_timeout(sqlite_url: str) -> None:
    engine = get_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_begin_on_a_busy_database_fails_as_sqlalchemy_error(sqlite_url: str) -> None:
    """BEGIN runs on the DB-API connection directly; a busy database still surfaces as SQLAlchemy's
    OperationalError (what the writer retries and the API maps), and the writer queue is released."""
    engine = get_engine(sqlite_url)
    path = sqlite_url[len("sqlite:///") :]
    holder = sqlite3.connect(path, isolation_level=None)  # another process's writer, say
    holder.execute("BEGIN IMMEDIATE")
    try:
        with engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
            with pytest.raises(OperationalError, match="locked"):
                conn.begin()
        assert writer_queue(path)._depth == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with engine.begin() as conn:  # and the next transaction goes through
        assert conn.exec_driver_sql("SELECT count(*) FROM flows").scalar() == 0


def test_list_queries_use_indexes(sqlite_url: str) -> None:
    engine = get_engine(sqlite_url)
    queries = [
        "SELECT * FROM flow_runs WHERE flow_name='x' ORDER BY created DESC, id DESC LIMIT 50",
        "SELECT * FROM flow_runs WHERE state_type='SCHEDULED' AND expected_start_time < '2030-01-01'",
        "SELECT * FROM flow_runs WHERE deployment_id='d' ORDER BY expected_start_time",
        "SELECT * FROM task_runs WHERE flow_run_id='r'",
        "SELECT * FROM logs WHERE flow_run_id='r' AND id > 5 ORDER BY timestamp",
        "SELECT * FROM task_runs WHERE cache_key='k'",
        "SELECT * FROM flow_runs ORDER BY created DESC, id DESC LIMIT 50",
        # the sparse (partial) indexes serve lookups by a value
        "SELECT * FROM flow_runs WHERE parent_task_run_id='t'",
        "SELECT * FROM flow_runs WHERE parent_flow_run_id='r' ORDER BY created",
        "SELECT * FROM flow_runs WHERE work_pool_name='p' AND state_type='SCHEDULED'"
        " AND next_scheduled_start_time <= '2030-01-01'",
    ]
    with engine.connect() as conn:
        for q in queries:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + q))
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (q, plan)


def test_cache_key_index_is_partial(db_url: str) -> None:
    """Task runs without a cache key (most) are not in the cache-key index: batch inserts skip it."""
    engine = get_engine(db_url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            q = "SELECT sql FROM sqlite_master WHERE name = 'ix_task_runs_cache_key'"
        else:
            q = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_task_runs_cache_key'"
        definition = conn.execute(text(q)).scalar_one()
    assert "WHERE" in definition.upper() and "cache_key IS NOT NULL" in definition.replace("(", "").replace(
        ")", ""
    )


def test_sparse_flow_run_indexes_skip_rows_without_a_value(db_url: str) -> None:
    """A run with no parent, deployment or pool is in none of those indexes (partial indexes)."""
    engine = get_engine(db_url)
    names = (
        "ix_flow_runs_parent_task_run",
        "ix_flow_runs_parent_flow_run",
        "ix_flow_runs_deployment_expected",
        "ix_flow_runs_pool_state_next",
    )
    with engine.connect() as conn:
        for name in names:
            if engine.dialect.name == "sqlite":
                q = f"SELECT sql FROM sqlite_master WHERE name = '{name}'"
            else:
                q = f"SELECT indexdef FROM pg_indexes WHERE indexname = '{name}'"
            definition = conn.execute(text(q)).scalar_one().replace("(", "").replace(")", "")
            assert " WHERE " in definition.upper() and "IS NOT NULL" in definition, definition
