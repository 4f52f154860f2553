"""Crypto-shredding keys and erasure requests (GDPR art. 17).

`fiche_keys.wrapped_key` is the only column of the hub updated to NULL on purpose:
erasing destroys the key, which makes every sealed copy of the fiche unreadable.
Each wrapped key is wrapped by its bucket's key-encryption key at `generation`
(NULL: the former single master key, until `capactif init` re-wraps it); the
current generation of each bucket is in `key_buckets` (see hub.keyring), the KEKs
themselves only in the key directory.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

fiche_keys = sa.Table(
    "fiche_keys",
    metadata,
    # SQLite: the table's rowid itself (migration 0050), read beside each candidate
    sa.Column("fiche_pk", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
              sa.ForeignKey("fiches.id"), primary_key=True, autoincrement=False),
    sa.Column("wrapped_key", sa.LargeBinary(64)),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("destroyed_at", UTC_TIME),
    sa.Column("generation", sa.Integer),
)

key_buckets = sa.Table(
    "key_buckets",
    metadata,
    sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.Integer, nullable=False),
)

store_markers = sa.Table(
    "store_markers",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(100), nullable=False),
)

erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("porteur_id", sa.String(40)),
    sa.Column("scope", sa.String(10), nullable=False),  # "porteur" or "fiche"
    sa.Column("requested_by", sa.String(50), sa.ForeignKey("members.id"), nullable=False),
    sa.Column("reference_sha256", sa.String(64)),
    sa.Column("fiches", sa.Integer, nullable=False),
    sa.Column("requested_at", UTC_TIME, nullable=False),
    # Migration 0056: of `fiches`, those the coordination that asked is told of (the gate
    # opens them to it); NULL: a member's erasure, or one made before.
    sa.Column("fiches_told", sa.Integer),
)
sa.Index("ix_erasures_porteur_id", erasures.c.porteur_id)

# Migration 0047: the answer of an erasure committed whose old KEKs the key directory
# refused to lose (a full volume), kept for the same request sent again: it answers the
# same erasure (hub.services.privacy.erasure_retries). `retry_key`: a keyed digest of
# the requester, the route and what it named; the answer holds no personal data.
# Migration 0051: written in the erasing transaction, with `fiche_pks` (the fiches whose
# erased state the erasure left for that request): replayed only while what the request
# finds comes from that erasure; removed after erasure_retries.KEPT_FOR (by the next
# erasure kept, or a start of the hub), never once answered: the answer may be lost.
erasure_answers = sa.Table(
    "erasure_answers",
    metadata,
    sa.Column("retry_key", sa.String(64), primary_key=True),
    sa.Column("erasure_id", sa.String(40), nullable=False),
    sa.Column("answer", sa.JSON, nullable=False),
    sa.Column("answered_at", UTC_TIME, nullable=False),
    sa.Column("fiche_pks", sa.JSON, nullable=False, server_default=sa.text("'[]'")),
)

# Migration 0027: a member's erasure request asks each other owner of a fiche of the
# porteur (GDPR art. 17(2), 19); the owner, or the coordination in the console, answers.
# `named_to_requester` / `requester_named`: decided when the request is made, from what
# each could see then (hub.services.privacy.discretion), so later erasures do not change
# what the status shows.
erasure_requests = sa.Table(
    "erasure_requests",
    metadata,
    sa.Column("erasure_id", sa.String(40), sa.ForeignKey("erasures.id"), primary_key=True),
    sa.Column("owner_id", sa.String(50), sa.ForeignKey("members.id"), primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),  # pending, confirmed, declined
    sa.Column("named_to_requester", sa.Boolean, nullable=False),
    sa.Column("requester_named", sa.Boolean, nullable=False),
    sa.Column("motif", sa.String(30)),
    # A refusal's free text, sealed with the data key of one of the owner's fiches it
    # keeps (`key_fiche_pk`, migration 0059): it may name the person, and goes with them.
    sa.Column("precision", sa.Text),
    sa.Column("answered_at", UTC_TIME),
    sa.Column("answered_by", sa.String(100)),  # the owner's id, or "console:<user id>"
    sa.Column("done_erasure_id", sa.String(40)),  # the erasure of the owner's fiches
    # The owner's fiches the request named (its notice's `sources`): confirming erases
    # these, wherever a merge or a separation has put them since.
    sa.Column("fiche_pks", sa.JSON, nullable=False),
    sa.Column("key_fiche_pk", sa.BigInteger),
)
sa.Index("ix_erasure_requests_status", erasure_requests.c.status)
