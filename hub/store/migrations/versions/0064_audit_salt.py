"""A random salt per access-log entry, hashed into its leaf: the leaf hashes a proof hands
out (a neighbour's, as a sibling) can no longer be recomputed from a guess of the entry's
content. Entries appended before keep none, and their leaves and signed heads stand.

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0064"
down_revision = "0063"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("salt", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("salt")
