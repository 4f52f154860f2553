"""Crypto-shredding keys per fiche, erasure requests, non-personal statistics per version.

Replaces the unused per-porteur key table of 0003 (a porteur is resolved after its
fiche is stored, and can be merged or unmerged: keys are per fiche).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_table("porteur_keys")
    op.create_table(
        "fiche_keys",
        sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True,
                  autoincrement=False),
        sa.Column("wrapped_key", sa.LargeBinary(64)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("destroyed_at", UTC_TIME),
    )
    op.create_table(
        "erasures",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("porteur_id", sa.String(40)),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String(50), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("reference_sha256", sa.String(64)),
        sa.Column("fiches", sa.Integer, nullable=False),
        sa.Column("requested_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_erasures_porteur_id", "erasures", ["porteur_id"])
    with op.batch_alter_table("fiche_versions") as batch:
        batch.add_column(sa.Column("statistics", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("fiche_versions") as batch:
        batch.drop_column("statistics")
    op.drop_index("ix_erasures_porteur_id", "erasures")
    op.drop_table("erasures")
    op.drop_table("fiche_keys")
    op.create_table(
        "porteur_keys",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary(64)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("destroyed_at", UTC_TIME),
    )
