"""Task runs record the version of the task they run (Prefect's task_run.task_version; a subflow's
stand-in task run carries its flow's version)

Revision ID: 0015_task_run_task_version
Revises: 0014_global_concurrency_limits
Create Date: 2026-12-06 06:05:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_task_run_task_version"
down_revision = "0014_global_concurrency_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_runs") as batch:
        batch.add_column(sa.Column("task_version", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_runs") as batch:
        batch.drop_column("task_version")
