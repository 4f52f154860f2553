"""A merge records the meeting actions (parrain, « à voir », referent proposals) that came
with the absorbed porteur (`merge_events.meeting_action_ids`), so that the separation
restoring that porteur gives them back to it rather than leaving them on the person kept.

Merges recorded before hold NULL: their actions stay where they are.

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0054"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN keeps SQLite's tables as they are (no copy, their foreign keys: 0039).
    op.add_column("merge_events", sa.Column("meeting_action_ids", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("merge_events", "meeting_action_ids")  # SQLite's DROP COLUMN: the table as it is
