"""The access log's tables: append-only entries, signed tree heads, witness countersignatures.

The application never updates or deletes these rows (retention will archive whole
segments); the Merkle tree is rebuilt from `audit_entries.leaf_hash` at start-up.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

audit_entries = sa.Table(
    "audit_entries",
    metadata,
    # seq is the leaf index in the Merkle tree (0-based), given by the log, never reused.
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
sa.Index("ix_audit_entries_porteur_ref", audit_entries.c.porteur_ref)
sa.Index("ix_audit_entries_actor_member_at", audit_entries.c.actor_member, audit_entries.c.at)
sa.Index("ix_audit_entries_at", audit_entries.c.at)

audit_heads = sa.Table(
    "audit_heads",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
)
sa.Index("ix_audit_heads_tree_size", audit_heads.c.tree_size)

audit_cosignatures = sa.Table(
    "audit_cosignatures",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("head_id", sa.BigInteger, sa.ForeignKey("audit_heads.id"), nullable=False),
    sa.Column("witness", sa.String(100), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
    sa.UniqueConstraint("head_id", "key_id", name="uq_audit_cosignatures_head_key"),
)
