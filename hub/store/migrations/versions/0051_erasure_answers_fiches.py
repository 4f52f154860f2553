"""An erasure's kept answer names the fiches whose erased state it left for its request
(`fiche_pks`): replayed only while what the request finds comes from that erasure, not
for a later erasure of a fiche pushed again under the same id.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erasure_answers") as batch:
        batch.add_column(sa.Column("fiche_pks", sa.JSON, nullable=False,
                                   server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("erasure_answers") as batch:
        batch.drop_column("fiche_pks")
