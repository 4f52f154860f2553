"""An erasure the coordination asks for records how many of the fiches it erased the
coordination is told of (`erasures.fiches_told`: those the consent + policy gate opened
to it), so that reading the erasure later counts what its answer counted.

Erasures recorded before hold NULL: read as before, every fiche counted.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0056"
down_revision = "0055"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN keeps SQLite's tables as they are (no copy, their foreign keys: 0039).
    op.add_column("erasures", sa.Column("fiches_told", sa.Integer, nullable=True))


def downgrade() -> None:
    op.drop_column("erasures", "fiches_told")  # SQLite's DROP COLUMN: the table as it is
