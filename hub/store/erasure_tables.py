"""Crypto-shredding keys and erasure requests (GDPR art. 17).

`fiche_keys.wrapped_key` is the only column of the hub updated to NULL on purpose:
erasing destroys the key, which makes every sealed copy of the fiche unreadable.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

fiche_keys = sa.Table(
    "fiche_keys",
    metadata,
    sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True,
              autoincrement=False),
    sa.Column("wrapped_key", sa.LargeBinary(64)),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("destroyed_at", UTC_TIME),
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
)
sa.Index("ix_erasures_porteur_id", erasures.c.porteur_id)
