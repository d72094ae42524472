"""Index flow runs by parent flow run (run graphs) and expected start (time-window filters)

Revision ID: 0003_run_time_indexes
Revises: 0002_applied_batches
Create Date: 2026-11-21 20:35:17.107121
"""

from alembic import op

revision = "0003_run_time_indexes"
down_revision = "0002_applied_batches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.create_index("ix_flow_runs_expected_start", ["expected_start_time"], unique=False)
        batch_op.create_index("ix_flow_runs_parent_flow_run", ["parent_flow_run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_runs_parent_flow_run")
        batch_op.drop_index("ix_flow_runs_expected_start")
