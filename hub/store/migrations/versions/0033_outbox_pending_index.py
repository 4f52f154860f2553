"""The outbox's index holds the rows still to process alone. Outbox rows are kept once
processed, and the index over them all kept an entry for every fiche version the hub had
received, which no query reads (the claim, the sweep and the counts each ask for the
pending rows): every fiche's processing wrote one more, and the index grew with the hub.
It is ordered by id, as the sweep reads the pending rows (after an id, in id order, a page
at a time) with their publication time: by published_at, SQLite's planner walked every
processed row by rowid instead (1M rows: 140 ms a page under its write lock).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_PENDING = sa.text("processed_at IS NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_outbox_pending", "outbox", ["id", "published_at"],
                    postgresql_where=_PENDING, sqlite_where=_PENDING)


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_outbox_pending", "outbox", ["processed_at", "published_at"])
