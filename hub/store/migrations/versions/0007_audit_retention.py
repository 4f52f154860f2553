"""Access log retention (archived leaf hashes, archive segments) and DPO credentials.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_archived_leaves",
        sa.Column("seq", BIGID, primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "audit_archive_segments",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("first_seq", sa.BigInteger, nullable=False, unique=True),
        sa.Column("end_seq", sa.BigInteger, nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("previous_sha256", sa.String(64)),
        sa.Column("archived_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "audit_auditors",
        sa.Column("member_id", sa.String(50), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_auditors")
    op.drop_table("audit_archive_segments")
    op.drop_table("audit_archived_leaves")
