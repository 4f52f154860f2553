"""Erased fiches kept each version's statistics in clear (the projection for the network's
statistics: financing amounts, situation, NAF code, the project's commune, times) beside
the fiche's member, id and porteur id: pseudonymous data about one person. An erasure now
sets them to NULL (`FicheRepository.forget_receipts`; the indicators never read them);
the fiches erased before are brought to the same state here (docs/privacy.md, "What an
erased fiche leaves").

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0058"
down_revision = "0057"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.get_bind().execute(sa.text(
        "UPDATE fiche_versions SET statistics = NULL "
        "WHERE fiche_pk IN (SELECT fiche_pk FROM fiche_keys WHERE wrapped_key IS NULL)"))


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
