"""Flow runs record the version of the flow they run (Prefect's flow_run.flow_version)

Revision ID: 0012_flow_run_flow_version
Revises: 0011_flow_run_inputs
Create Date: 2026-12-05 20:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_flow_run_flow_version"
down_revision = "0011_flow_run_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.add_column(sa.Column("flow_version", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("flow_version")
