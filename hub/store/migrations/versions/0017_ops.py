"""Heartbeats of worker and beat processes (readiness and metrics); a member's previous
credential kept during a rotation's overlap.

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "process_heartbeats",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("host", sa.String(120), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("seen_at", UTC_TIME, nullable=False),
    )


    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("previous_token_hash", sa.String(64)))
        batch.add_column(sa.Column("previous_public_key", sa.String(64)))
        batch.add_column(sa.Column("previous_valid_until", UTC_TIME))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        for column in ("previous_valid_until", "previous_public_key", "previous_token_hash"):
            batch.drop_column(column)
    op.drop_table("process_heartbeats")
