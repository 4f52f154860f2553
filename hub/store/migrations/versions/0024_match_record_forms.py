"""Each indexed fiche's normalised record, in its compact form (`match_records.record_form`),
sealed with the fiche's data key as its identity is: a candidate is then compared without
normalising its identity again. Rows indexed before have none; `capactif init` writes
them (`hub.services.matching.reindex.reindex_forms`), and until then a candidate without
one is normalised from its identity.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_records") as batch:
        batch.add_column(sa.Column("record_form", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("match_records") as batch:
        batch.drop_column("record_form")
