"""Decisions a restore replays, and a refusal's text that goes with the person.

`journal_decisions` names the decisions of the recovery journal the store holds (a
member's departure or new credentials, a separation, an answer to an erasure request):
a restore replays those its copy lacks (hub.services.ops.recovery). A store of before
holds none: a restore of it replays every such decision of the journal.

An owner's refusal to erase (`erasure_requests.precision`, free text that may name the
person) is now sealed with the data key of one of the fiches it keeps (`key_fiche_pk`)
and set to NULL when that fiche is erased; refusals given before are kept as they were,
but those whose fiches were erased since lose their text here (docs/privacy.md, "What
an erased fiche leaves").

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-08
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0059"
down_revision = "0058"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_decisions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    # ADD COLUMN keeps SQLite's table as it is (no copy, its foreign keys: 0039); SQLite
    # does not bound a VARCHAR, PostgreSQL's is widened for the sealed text.
    op.add_column("erasure_requests", sa.Column("key_fiche_pk", sa.BigInteger, nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.alter_column("erasure_requests", "precision", type_=sa.Text,
                        existing_type=sa.String(500))
    erased = {pk for (pk,) in bind.execute(sa.text(
        "SELECT fiche_pk FROM fiche_keys WHERE wrapped_key IS NULL"))}
    rows = bind.execute(sa.text(
        "SELECT erasure_id, owner_id, fiche_pks FROM erasure_requests "
        "WHERE precision IS NOT NULL")).all()
    for erasure_id, owner_id, fiche_pks in rows:
        pks = json.loads(fiche_pks) if isinstance(fiche_pks, str) else fiche_pks
        if erased & set(pks):
            bind.execute(sa.text(
                "UPDATE erasure_requests SET precision = NULL "
                "WHERE erasure_id = :erasure AND owner_id = :owner"),
                {"erasure": erasure_id, "owner": owner_id})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE erasure_requests SET precision = NULL WHERE key_fiche_pk IS NOT NULL")
        op.alter_column("erasure_requests", "precision", type_=sa.String(500),
                        existing_type=sa.Text)
    op.drop_column("erasure_requests", "key_fiche_pk")  # SQLite's DROP COLUMN: as it is
    op.drop_table("journal_decisions")
