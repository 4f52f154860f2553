"""An indexed fiche keeps when the consent its indexed version cites ends
(`match_records.consent_end_s`): the matcher compares no candidate past that end, before
the expiry sweep (`expire_due`) has taken the fiche out of the index (a fiche whose
consent ended at 00:00 was still matched at 00:01). Fiches indexed before hold NULL and
stay candidates until the sweep, as before (the cited consent is in the sealed payload).

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_records") as batch:
        batch.add_column(sa.Column("consent_end_s", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_records") as batch:
        batch.drop_column("consent_end_s")
