"""Flow run inputs: what pause_flow_run waits for and what resume_flow_run sends

Revision ID: 0011_flow_run_inputs
Revises: 0010_config_resources
Create Date: 2026-12-05 12:50:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from jupyter_orch.db.models import Timestamp

revision = "0011_flow_run_inputs"
down_revision = "0010_config_resources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_run_inputs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "flow_run_id", sa.String(36), sa.ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True),
        sa.Column("sender", sa.String(255), nullable=True),
        sa.Column("created", Timestamp(timezone=True), nullable=False),
        sa.UniqueConstraint("flow_run_id", "key", name="uq_flow_run_inputs_run_key"),
    )


def downgrade() -> None:
    op.drop_table("flow_run_inputs")
