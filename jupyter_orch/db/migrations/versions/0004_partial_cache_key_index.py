"""Index task runs by cache key only where they have one (most have none: the engine's batch
inserts then skip that index)

Revision ID: 0004_partial_cache_key_index
Revises: 0003_run_time_indexes
Create Date: 2026-11-21 22:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_partial_cache_key_index"
down_revision = "0003_run_time_indexes"
branch_labels = None
depends_on = None

WHERE = sa.text("cache_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_task_runs_cache_key", table_name="task_runs")
    op.create_index(
        "ix_task_runs_cache_key",
        "task_runs",
        ["cache_key", "cache_expiration"],
        unique=False,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_task_runs_cache_key", table_name="task_runs")
    op.create_index("ix_task_runs_cache_key", "task_runs", ["cache_key", "cache_expiration"], unique=False)
