"""Each indexed fiche's normalised record, in its compact form (`match_records.record_form`),
sealed with the fiche's data key as its identity is: a candidate is then compared without
normalising its identity again. Rows indexed before have none; `capactif init` writes
them (`hub.services.matching.reindex.reindex_forms`), and until then a candidate without
one is normalised from its identity. The downgrade drops the forms and the store's
markers saying they were written.

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


# The store's word that the forms were written by a normalisation (and the progress of a
# rewrite), kept by `hub.services.matching.reindex` as `record_forms*` markers.
_FORMS_MARKERS = ("record_forms", "record_forms_target", "record_forms_after")


def downgrade() -> None:
    with op.batch_alter_table("match_records") as batch:
        batch.drop_column("record_form")
    # The forms go with the column: so must the markers saying they were written, or
    # `capactif init` after the next upgrade would never write them again.
    markers = sa.table("store_markers", sa.column("name", sa.String))
    op.execute(sa.delete(markers).where(markers.c.name.in_(_FORMS_MARKERS)))
