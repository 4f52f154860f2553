"""Erased fiches kept each version's content hash (SHA-256 of the whole fiche, unkeyed)
and its receipt id (derived from it; a removed fiche's `rtr_…` kept the same digits):
whoever held a copy of the store could check a guessed fiche against them and learn that
it was pushed. An erasure now replaces both (`FicheRepository.forget_receipts`: hash `""`,
receipt `eff_<row id>`); the fiches erased before are brought to the same state here
(docs/privacy.md, "What an erased fiche leaves").

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.get_bind().execute(sa.text(
        "UPDATE fiche_versions SET content_hash = '', "
        "receipt_id = 'eff_' || CAST(id AS VARCHAR) "
        "WHERE fiche_pk IN (SELECT fiche_pk FROM fiche_keys WHERE wrapped_key IS NULL)"))


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
