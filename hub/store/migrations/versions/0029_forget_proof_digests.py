"""Erasures kept of a consent's proof given as text its SHA-256 (`sha256:<hex>`), and of
the erasure request's reference its SHA-256: a guessed text could be checked against
them by whoever read the consent or a copy of the store. Both are forgotten (an erased
proof reads `""`, docs/privacy.md "Consents").

A text proof a member gave in that very form, `sha256:` and 64 hex digits, on a fiche
not erased, is forgotten too: it cannot be told from one kept by an erasure.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_DIGEST = re.compile("sha256:[0-9a-f]{64}")


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, proof_value FROM consents WHERE proof_type <> 'scan_sha256' "
        "AND proof_value LIKE 'sha256:%'")).all()
    kept = [row.id for row in rows if _DIGEST.fullmatch(row.proof_value)]
    for consent_id in kept:
        bind.execute(sa.text("UPDATE consents SET proof_value = '' WHERE id = :id"),
                     {"id": consent_id})
    bind.execute(sa.text("UPDATE erasures SET reference_sha256 = NULL"))


def downgrade() -> None:
    pass  # what was forgotten stays forgotten
