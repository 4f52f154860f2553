"""The turns of the periodic work every worker's timer may do (the outbox sweep): a row
per kind of work, the time its last turn was taken and how many were taken. A worker
takes the turn with one conditional update, so N workers sweep once an interval between
them, not N times, and the sweep no longer waits for the scheduler's worker.

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timer_turns",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("timer_turns")
