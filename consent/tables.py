"""The consent registry's tables, declared on a MetaData given by the caller.

`hub.store.schema` calls `define_tables(metadata)` on the hub's metadata (for
Alembic and the migration check); `consent.sql` builds its queries on the same
declarations. Migration: hub/store/migrations/versions/0003_consent.py.

Nothing here is ever updated in place except `consent_notice_acks.acknowledged_at`
(set once) and the change counter. (Data keys for crypto-shredding live in the
hub store: `fiche_keys`, migration 0008.)
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


@dataclasses.dataclass(frozen=True)
class ConsentTables:
    notices: sa.Table
    consents: sa.Table
    states: sa.Table
    acks: sa.Table
    changes: sa.Table


def define_tables(metadata: sa.MetaData) -> ConsentTables:
    """Declare the consent tables on `metadata` (once; later calls return the same)."""
    if "consents" in metadata.tables:
        t = metadata.tables
        return ConsentTables(t["consent_notices"], t["consents"], t["consent_states"],
                             t["consent_notice_acks"], t["consent_changes"])
    return ConsentTables(
        _notices(metadata), _consents(metadata), _states(metadata), _acks(metadata),
        _changes(metadata),
    )


def _notices(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "consent_notices", metadata,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("stored_at", UTC_TIME, nullable=False),
        # Migration 0011: who registered it (NULL: the operator), language, purposes
        # (NULL: registered before purposes were recorded).
        sa.Column("member_id", sa.String(50), index=True),
        sa.Column("language", sa.String(8), nullable=False, server_default="fr"),
        sa.Column("purposes", sa.JSON),
        # Migration 0030: one notice per text and member (NULL, the operator, is not
        # checked by the index: its notices come from one command line).
        sa.Index("uq_consent_notices_member_sha256", "member_id", "sha256", unique=True),
    )


def _consents(metadata: sa.MetaData) -> sa.Table:
    table = sa.Table(
        "consents", metadata,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("member_id", sa.String(50), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("fiche_id", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("collected_at", UTC_TIME, nullable=False),
        sa.Column("mode", sa.String(30), nullable=False),
        sa.Column("notice_version", sa.Integer, sa.ForeignKey("consent_notices.version"),
                  nullable=False),
        sa.Column("notice_sha256", sa.String(64), nullable=False),
        sa.Column("purposes", sa.JSON, nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("members", sa.JSON, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("proof_type", sa.String(20), nullable=False),
        sa.Column("proof_value", sa.String(300), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("member_id", "reference", name="uq_consents_member_reference"),
    )
    sa.Index("ix_consents_member_fiche", table.c.member_id, table.c.fiche_id)
    sa.Index("ix_consents_expires_at", table.c.expires_at)
    sa.Index("ix_consents_recorded_at", table.c.recorded_at)  # what changed since (console index)
    return table


def _states(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "consent_states", metadata,
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("consent_id", sa.String(40), sa.ForeignKey("consents.id"), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("by_member", sa.String(50), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        # One row per state and consent: a second withdrawal cannot be recorded,
        # even by two processes racing.
        sa.UniqueConstraint("consent_id", "state", name="uq_consent_states_consent_state"),
    )


def _acks(metadata: sa.MetaData) -> sa.Table:
    table = sa.Table(
        "consent_notice_acks", metadata,
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(40), nullable=False),
        sa.Column("recipient_id", sa.String(50), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.Column("acknowledged_at", UTC_TIME),
        # Migration 0031: whether the subject's owner is told of this recipient (NULL:
        # sent before it was recorded).
        sa.Column("named", sa.Boolean),
        sa.UniqueConstraint("kind", "subject_id", "recipient_id",
                            name="uq_consent_notice_acks_kind_subject_recipient"),
    )
    sa.Index("ix_consent_notice_acks_pending", table.c.acknowledged_at, table.c.sent_at)
    # Migration 0044: a subject's acknowledgements (a page of the DPO's consents).
    sa.Index("ix_consent_notice_acks_subject", table.c.subject_id)
    return table


def _changes(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "consent_changes", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )

