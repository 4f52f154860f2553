"""The access log's tables: entries, signed heads, countersignatures, archives, DPO credentials.

The application never updates entries and deletes them only when retention moves a
segment to a signed archive file (hub.audit.retention); the Merkle tree is rebuilt at
start-up from `audit_archived_leaves` then `audit_entries.leaf_hash`.
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
    # 32 hex digits hashed into the leaf (hub.audit.events.AccessEvent.salt); null before 0064
    sa.Column("salt", sa.String(32)),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
)
# A porteur's events newest first, a page at a time (the access report, the DPO's search).
sa.Index("ix_audit_entries_porteur_ref_seq", audit_entries.c.porteur_ref, audit_entries.c.seq)
sa.Index("ix_audit_entries_actor_member_at", audit_entries.c.actor_member, audit_entries.c.at)
sa.Index("ix_audit_entries_at", audit_entries.c.at)
# The DPO's search by console account, newest first.
sa.Index("ix_audit_entries_actor_user_seq", audit_entries.c.actor_user, audit_entries.c.seq)

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

# Retention: entries older than HUB_AUDIT_RETENTION_DAYS move to signed archive files;
# their leaf hashes stay here so the tree goes on and every archived leaf stays provable.
audit_archived_leaves = sa.Table(
    "audit_archived_leaves",
    metadata,
    sa.Column("seq", BIGID, primary_key=True, autoincrement=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
)

audit_archive_segments = sa.Table(
    "audit_archive_segments",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("first_seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("end_seq", sa.BigInteger, nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("previous_sha256", sa.String(64)),
    sa.Column("archived_at", UTC_TIME, nullable=False),
)

# DPO credentials: one per member that designates a DPO in the network file.
audit_auditors = sa.Table(
    "audit_auditors",
    metadata,
    sa.Column("member_id", sa.String(50), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("scope", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
)
