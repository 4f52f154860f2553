"""An erasure replaced each version's receipt id by `eff_<row id>` (migration 0037): the
prefix of the erasures' own ids (`eff_` + 24 hex), and the row's place in the hub-wide
count of versions pushed. Those receipts now get `rcx_` and 128 random bits, as an
erasure gives them from now on (`FicheRepository.forget_receipts`; docs/privacy.md,
"What an erased fiche leaves").

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

# hub.store.repositories.CROSSED_OUT_RECEIPT, frozen here: the migration must not change with it
_DRAWN = {
    "postgresql": "'rcx_' || replace(CAST(gen_random_uuid() AS text), '-', '')",
    "sqlite": "'rcx_' || lower(hex(randomblob(16)))",
}


def upgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text(
        f"UPDATE fiche_versions SET receipt_id = {_DRAWN[bind.dialect.name]} "
        "WHERE content_hash = '' AND receipt_id LIKE 'eff!_%' ESCAPE '!'"))


def downgrade() -> None:
    pass  # the row ids stay forgotten
