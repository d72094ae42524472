"""Configuration for flows: variables, secrets (encrypted) and named storage configurations

Revision ID: 0010_config_resources
Revises: 0009_event_triggers
Create Date: 2026-12-05 12:40:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from jupyter_orch.db.models import Timestamp

revision = "0010_config_resources"
down_revision = "0009_event_triggers"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _common() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("created", Timestamp(timezone=True), nullable=False),
        sa.Column("updated", Timestamp(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "variables",
        *_common(),
        sa.Column("value", JSON, nullable=True),
        sa.Column("tags", JSON, nullable=False),
    )
    op.create_table("secrets", *_common(), sa.Column("ciphertext", sa.Text(), nullable=False))
    op.create_table(
        "storage_configs",
        *_common(),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("credentials", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    for table in ("storage_configs", "secrets", "variables"):
        op.drop_table(table)
