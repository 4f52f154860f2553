"""The duplicate queue's page is sorted and cut in the database: a fiche keeps the consent
its current version cites (`fiches.consent_id`, found at that version's push), and a
review item the compared fields of its explanation (`review_items.explained_fields`), so
that what the coordination is told of each item (`told_fields`) is compared in SQL; an
index holds what the order reads of the open items (their rows hold the explanations).

Rows written before hold NULL: a version's reference is only in its sealed payload, and
the queue's page writes both columns for the open items it meets without them.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN keeps SQLite's tables as they are (no copy, their foreign keys: 0039).
    op.add_column("fiches", sa.Column("consent_id", sa.String(40), nullable=True))
    op.add_column("review_items", sa.Column("explained_fields", sa.Integer, nullable=True))
    op.create_index("ix_review_items_status_explained", "review_items",
                    ["status", "explained_fields", "fiche_pk", "candidate_fiche_pk",
                     "probability", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_review_items_status_explained", table_name="review_items")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("explained_fields")
    op.drop_column("fiches", "consent_id")  # SQLite's DROP COLUMN: the table as it is
