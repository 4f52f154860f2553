"""Erasure that cannot be undone: data keys wrapped by bucketed key-encryption keys,
and keyed (HMAC) blocking digests.

`fiche_keys.generation` says which KEK generation of the fiche's bucket wraps its key
(NULL: the former master key, re-wrapped by `capactif init`); `key_buckets` holds each
bucket's current generation (the KEKs live only in the key directory); `store_markers`
records that the blocking digests are HMAC-SHA256 (set here on an empty index, else by
`capactif init` once it has recomputed them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BUCKETS = 256  # hub.keyring.BUCKETS, frozen here: the migration must not change with it


def upgrade() -> None:
    with op.batch_alter_table("fiche_keys") as batch:
        batch.add_column(sa.Column("generation", sa.Integer))
    buckets = op.create_table(
        "key_buckets",
        sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.Integer, nullable=False),
    )
    op.bulk_insert(buckets, [{"bucket": b, "generation": 1} for b in range(BUCKETS)])
    markers = op.create_table(
        "store_markers",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(100), nullable=False),
    )
    indexed = op.get_bind().execute(sa.text("SELECT count(*) FROM match_keys")).scalar_one()
    if not indexed:
        op.bulk_insert(markers, [{"name": "blocking_digests", "value": "hmac-sha256"}])


def downgrade() -> None:
    op.drop_table("store_markers")
    op.drop_table("key_buckets")
    with op.batch_alter_table("fiche_keys") as batch:
        batch.drop_column("generation")
