"""Deduplication: blocking index, review queue, pair memory, merge history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "match_records",
        sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True),
        sa.Column("porteur_id", sa.String(40), sa.ForeignKey("porteurs.id"), nullable=False),
        sa.Column("identity", sa.JSON, nullable=False),
        sa.Column("indexed_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_match_records_porteur_id", "match_records", ["porteur_id"])
    op.create_table(
        "match_keys",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True),
    )
    op.create_index("ix_match_keys_fiche_pk", "match_keys", ["fiche_pk"])
    op.create_table(
        "review_items",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
        sa.Column("porteur_id", sa.String(40), nullable=False),
        sa.Column("candidate_fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
        sa.Column("candidate_porteur_id", sa.String(40), nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("explanation", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("decided_at", UTC_TIME),
        sa.Column("decided_by", sa.String(50)),
    )
    op.create_index("ix_review_items_status_id", "review_items", ["status", "id"])
    op.create_table(
        "match_judgements",
        sa.Column("fiche_a", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True),
        sa.Column("fiche_b", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True),
        sa.Column("decision", sa.String(12), nullable=False),
        sa.Column("review_item_id", sa.BigInteger),
        sa.Column("decided_by", sa.String(50), nullable=False),
        sa.Column("decided_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "merge_events",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("porteur_id", sa.String(40), nullable=False),
        sa.Column("other_porteur_id", sa.String(40), nullable=False),
        sa.Column("fiche_pks", sa.JSON, nullable=False),
        sa.Column("review_item_id", sa.BigInteger),
        sa.Column("actor", sa.String(50), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_merge_events_porteur_id", "merge_events", ["porteur_id"])
    op.create_index("ix_merge_events_other_porteur_id", "merge_events", ["other_porteur_id"])


def downgrade() -> None:
    for table in ("merge_events", "match_judgements", "review_items", "match_keys",
                  "match_records"):
        op.drop_table(table)
