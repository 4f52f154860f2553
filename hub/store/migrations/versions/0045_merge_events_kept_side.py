"""A merge event records the fiches the kept porteur held when it was made (`kept_fiche_pks`)
beside those it moved: a separation taking one of them undoes the merge as surely as one
taking a moved fiche (the meeting sheet showed such a merge as still standing). Events
recorded before hold NULL: only their moved fiches are known.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merge_events") as batch:
        batch.add_column(sa.Column("kept_fiche_pks", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merge_events") as batch:
        batch.drop_column("kept_fiche_pks")
