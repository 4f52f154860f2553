"""Access log: append-only entries, signed tree heads, witness countersignatures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", BIGID, primary_key=True, autoincrement=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor_member", sa.String(100), nullable=False),
        sa.Column("actor_user", sa.String(100)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("porteur_ref", sa.String(64)),
        sa.Column("fiche_refs", sa.JSON, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("purpose", sa.String(40)),
        sa.Column("policy_version", sa.String(100)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("request_id", sa.String(100)),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_index("ix_audit_entries_porteur_ref", "audit_entries", ["porteur_ref"])
    op.create_index(
        "ix_audit_entries_actor_member_at", "audit_entries", ["actor_member", "at"]
    )
    op.create_index("ix_audit_entries_at", "audit_entries", ["at"])
    op.create_table(
        "audit_heads",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
    )
    op.create_index("ix_audit_heads_tree_size", "audit_heads", ["tree_size"])
    op.create_table(
        "audit_cosignatures",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("head_id", sa.BigInteger, sa.ForeignKey("audit_heads.id"), nullable=False),
        sa.Column("witness", sa.String(100), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.UniqueConstraint("head_id", "key_id", name="uq_audit_cosignatures_head_key"),
    )


def downgrade() -> None:
    op.drop_table("audit_cosignatures")
    op.drop_table("audit_heads")
    op.drop_table("audit_entries")
