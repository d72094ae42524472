"""Global concurrency limits (Prefect's v2 limits): named slot counters any code holds

Revision ID: 0014_global_concurrency_limits
Revises: 0013_state_expected_covers_start
Create Date: 2026-12-06 03:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

from jupyter_orch.db.models import Timestamp

revision = "0014_global_concurrency_limits"
down_revision = "0013_state_expected_covers_start"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "global_concurrency_limits",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("limit", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_slots", sa.Integer(), nullable=False),
        sa.Column("denied_slots", sa.Integer(), nullable=False),
        sa.Column("slot_decay_per_second", sa.Float(), nullable=False),
        sa.Column("avg_slot_occupancy_seconds", sa.Float(), nullable=False),
        sa.Column("created", Timestamp(timezone=True), nullable=False),
        sa.Column("updated", Timestamp(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("global_concurrency_limits")
