"""A review item closed because one of its sides left the matching index reads one
status, `side_closed`, whatever the reason: items closed `withdrawn` (a consent
withdrawn or expired) or `erased` (the fiche erased) before read it too (the status told
the coordination that the hidden person withdrew, rather than asked for erasure).

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE review_items SET status = 'side_closed' "
                       "WHERE status IN ('withdrawn', 'erased')"))


def downgrade() -> None:
    # the reason is not kept: every such item reads as closed by a withdrawal
    op.execute(sa.text("UPDATE review_items SET status = 'withdrawn' "
                       "WHERE status = 'side_closed'"))
