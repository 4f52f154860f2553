"""Each fiche keeps the newest of its versions that changed something the coordination
may see (`fiches.coordination_version`), set by the worker as it plans the version: the
console's dates (the parcours' « Dernières nouvelles », first contact, the index's
`last_news`, the steering committee's months) are read from that version's
`mis_a_jour_le`, so a version changing only fields hidden from the coordination (the
referent's notes) moves none of them.

Rows written before take their current version, the date the console showed until now.

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN keeps SQLite's tables as they are (no copy, their foreign keys: 0039).
    op.add_column("fiches", sa.Column("coordination_version", sa.Integer, nullable=True))
    op.execute("UPDATE fiches SET coordination_version = current_version")


def downgrade() -> None:
    op.drop_column("fiches", "coordination_version")  # SQLite's DROP COLUMN: the table as it is
