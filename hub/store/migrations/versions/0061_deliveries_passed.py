"""A recipient's line goes on past a delivery it keeps refusing with a 500 (its other
fiches are no longer held back by one document): `deliveries.refused_in_a_row` counts
the head's failures of that kind in a row (a recipient unwell, 502, 503, 504, 429, a
network error, starts it again), and `deliveries.passed_at` says when the line went on
past it (a probe, the next delivery about another fiche, was accepted). Until it is
accepted or given up, later deliveries of its fiche wait behind it.

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, a constant default: no rewrite of the largest table on PostgreSQL, and
    # SQLite's table as it is (0057).
    op.add_column("deliveries", sa.Column("refused_in_a_row", sa.Integer, nullable=False, server_default="0"))
    op.add_column("deliveries", sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "passed_at")
    op.drop_column("deliveries", "refused_in_a_row")
