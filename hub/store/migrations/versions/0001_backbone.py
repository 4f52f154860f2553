"""Backbone: members, porteurs, fiches with history, fiche links, outbox, request nonces.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("webhook_url", sa.String(500)),
        sa.Column("territory", sa.JSON, nullable=False),
        sa.Column("token_hash", sa.String(64)),
        sa.Column("public_key", sa.String(64)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "porteurs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_table(
        "fiches",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("member_id", sa.String(50), sa.ForeignKey("members.id"), nullable=False),
        sa.Column("fiche_id", sa.String(64), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("processed_version", sa.Integer),
        sa.Column("porteur_id", sa.String(40), sa.ForeignKey("porteurs.id")),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("member_id", "fiche_id", name="uq_fiches_member_fiche"),
    )
    op.create_table(
        "fiche_versions",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("receipt_id", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("schema_id", sa.String(200), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("fiche_pk", "version", name="uq_fiche_versions_fiche_version"),
        sa.UniqueConstraint("receipt_id", name="uq_fiche_versions_receipt_id"),
    )
    op.create_table(
        "fiche_links",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
        sa.Column("porteur_id", sa.String(40), sa.ForeignKey("porteurs.id"), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("linked_at", UTC_TIME, nullable=False),
        sa.Column("unlinked_at", UTC_TIME),
    )
    op.create_index("ix_fiche_links_fiche_pk", "fiche_links", ["fiche_pk"])
    op.create_index("ix_fiche_links_porteur_id", "fiche_links", ["porteur_id"])
    op.create_table(
        "outbox",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("ref_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("published_at", UTC_TIME, nullable=False),
        sa.Column("publish_count", sa.Integer, nullable=False),
        sa.Column("processed_at", UTC_TIME),
    )
    op.create_index("ix_outbox_pending", "outbox", ["processed_at", "published_at"])
    op.create_table(
        "request_nonces",
        sa.Column("member_id", sa.String(50), primary_key=True),
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("seen_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_request_nonces_seen_at", "request_nonces", ["seen_at"])


def downgrade() -> None:
    for table in ("request_nonces", "outbox", "fiche_links", "fiche_versions", "fiches",
                  "porteurs", "members"):
        op.drop_table(table)
