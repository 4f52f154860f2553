"""Consent registry: notices, consents, state history, notice acknowledgements,
change counter, per-porteur wrapped data keys (crypto-shredding).

Consents are never updated: withdrawal and expiry are new rows of consent_states.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "consent_notices",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("stored_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("sha256", name="uq_consent_notices_sha256"),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("member_id", sa.String(50), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("fiche_id", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("collected_at", UTC_TIME, nullable=False),
        sa.Column("mode", sa.String(30), nullable=False),
        sa.Column("notice_version", sa.Integer, nullable=False),
        sa.Column("notice_sha256", sa.String(64), nullable=False),
        sa.Column("purposes", sa.JSON, nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("members", sa.JSON, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("proof_type", sa.String(20), nullable=False),
        sa.Column("proof_value", sa.String(300), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["notice_version"], ["consent_notices.version"],
                                name="fk_consents_notice_version_consent_notices"),
        sa.UniqueConstraint("member_id", "reference", name="uq_consents_member_reference"),
    )
    op.create_index("ix_consents_member_fiche", "consents", ["member_id", "fiche_id"])
    op.create_index("ix_consents_expires_at", "consents", ["expires_at"])
    op.create_table(
        "consent_states",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("by_member", sa.String(50), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"],
                                name="fk_consent_states_consent_id_consents"),
        sa.UniqueConstraint("consent_id", "state", name="uq_consent_states_consent_state"),
    )
    op.create_table(
        "consent_notice_acks",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(40), nullable=False),
        sa.Column("recipient_id", sa.String(50), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.Column("acknowledged_at", UTC_TIME),
        sa.UniqueConstraint("kind", "subject_id", "recipient_id",
                            name="uq_consent_notice_acks_kind_subject_recipient"),
    )
    op.create_index("ix_consent_notice_acks_pending", "consent_notice_acks",
                    ["acknowledged_at", "sent_at"])
    changes = op.create_table(
        "consent_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(changes, [{"id": 1, "version": 0}])
    op.create_table(
        "porteur_keys",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary(64)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("destroyed_at", UTC_TIME),
    )


def downgrade() -> None:
    op.drop_index("ix_consent_notice_acks_pending", "consent_notice_acks")
    op.drop_index("ix_consents_expires_at", "consents")
    op.drop_index("ix_consents_member_fiche", "consents")
    for table in ("porteur_keys", "consent_changes", "consent_notice_acks", "consent_states",
                  "consents", "consent_notices"):
        op.drop_table(table)
