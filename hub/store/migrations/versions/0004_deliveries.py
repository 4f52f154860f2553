"""Deliveries, feed positions and subscriptions (merges the audit and consent heads).

Revision ID: 0004
Revises: 0002, 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("member_id", sa.String(50), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("criteria", sa.JSON, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_subscriptions_member_id", "subscriptions", ["member_id"])
    op.create_table(
        "feed_positions",
        sa.Column("member_id", sa.String(50), primary_key=True),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("dispatch_lease_until", UTC_TIME),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("recipient_id", sa.String(50), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("porteur_id", sa.String(40), nullable=False),
        sa.Column("fiche_pk", sa.BigInteger),
        sa.Column("fiche_version", sa.Integer),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME),
        sa.Column("last_error", sa.String(200)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("sent_at", UTC_TIME),
        sa.UniqueConstraint("recipient_id", "position", name="uq_deliveries_recipient_position"),
        sa.UniqueConstraint("idempotency_key", name="uq_deliveries_idempotency_key"),
    )
    op.create_index("ix_deliveries_porteur_id", "deliveries", ["porteur_id"])
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("feed_positions")
    op.drop_table("subscriptions")
