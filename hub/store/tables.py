"""The backbone's tables (SQLAlchemy Core). Other capabilities add their own
table modules on the same `metadata`; every table has an Alembic migration."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UTC_TIME = sa.DateTime(timezone=True)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.String(50), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("contact_email", sa.String(254), nullable=False),
    sa.Column("webhook_url", sa.String(500)),
    sa.Column("territory", sa.JSON, nullable=False, default=list),
    sa.Column("token_hash", sa.String(64)),
    sa.Column("public_key", sa.String(64)),
    # the credential replaced by a rotation, accepted until previous_valid_until (overlap)
    sa.Column("previous_token_hash", sa.String(64)),
    sa.Column("previous_public_key", sa.String(64)),
    sa.Column("previous_valid_until", UTC_TIME),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
    # `left`: out of the network since left_at, recorded by left_by (migration 0026)
    sa.Column("status", sa.String(10), nullable=False, server_default="active"),
    sa.Column("left_at", UTC_TIME),
    sa.Column("left_by", sa.String(100)),
)

porteurs = sa.Table(
    "porteurs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="active"),
)

# `porteur_id` names a porteur without a foreign key declared: PostgreSQL checked it row by
# row as the worker set it (migration 0039); SQLite keeps the key the table was built with
# (dropping it rebuilds the table; tests/integration/test_migrations.py says so).
fiches = sa.Table(
    "fiches",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("member_id", sa.String(50), sa.ForeignKey("members.id"), nullable=False),
    sa.Column("fiche_id", sa.String(64), nullable=False),
    sa.Column("current_version", sa.Integer, nullable=False),
    sa.Column("processed_version", sa.Integer),
    sa.Column("porteur_id", sa.String(40), index=True),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
    # The consent its current version cites, as that version's push found it (migration
    # 0053: the duplicate queue's order reads it for every open item's sides): "" when it
    # cites none the hub holds for the fiche; NULL for a fiche whose current version was
    # pushed before, its reference only in the sealed payload (the queue writes it).
    sa.Column("consent_id", sa.String(40)),
    # The newest version that changed something the coordination may see (migration
    # 0063), set by the worker as it plans the version: the console's dates are that
    # version's. NULL: none planned yet, the current version's.
    sa.Column("coordination_version", sa.Integer),
    sa.UniqueConstraint("member_id", "fiche_id", name="uq_fiches_member_fiche"),
)

fiche_versions = sa.Table(
    "fiche_versions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("receipt_id", sa.String(40), nullable=False, unique=True),
    sa.Column("payload", sa.Text, nullable=False),  # sealed with the fiche's data key
    sa.Column("statistics", sa.JSON),  # the projection for statistics; NULL once erased (0058)
    sa.Column("schema_id", sa.String(200), nullable=False),
    sa.Column("received_at", UTC_TIME, nullable=False),
    sa.UniqueConstraint("fiche_pk", "version", name="uq_fiche_versions_fiche_version"),
)

# No foreign keys (migration 0035), as `match_records`: one row a processed fiche, each key
# checked row by row; fiches and porteurs are never deleted.
fiche_links = sa.Table(
    "fiche_links",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("fiche_pk", sa.BigInteger, nullable=False, index=True),
    sa.Column("porteur_id", sa.String(40), nullable=False, index=True),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False, default=dict),
    sa.Column("linked_at", UTC_TIME, nullable=False),
    sa.Column("unlinked_at", UTC_TIME),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("topic", sa.String(40), nullable=False),
    sa.Column("ref_id", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("published_at", UTC_TIME, nullable=False),
    sa.Column("publish_count", sa.Integer, nullable=False, default=1),
    sa.Column("processed_at", UTC_TIME),
)
# The rows still to process alone (0033): processed rows are kept, and no query reads them
# by this index (the claim, the sweep and the counts each ask for the pending ones). By id
# first, as the sweep pages through them (SQLite walked every row by rowid otherwise).
sa.Index("ix_outbox_pending", outbox.c.id, outbox.c.published_at,
         postgresql_where=outbox.c.processed_at.is_(None),
         sqlite_where=outbox.c.processed_at.is_(None))

request_nonces = sa.Table(
    "request_nonces",
    metadata,
    sa.Column("member_id", sa.String(50), primary_key=True),
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("seen_at", UTC_TIME, nullable=False, index=True),
)
