"""The blocking index's keys (`match_keys.key`) become 64-bit numbers: the first 64 bits
of each key digest, signed (`hub.store.matching_repository.key_number`, the number the
worker already locked each key by), instead of 32 hexadecimal characters. The worker's
largest insert (some eighteen rows a fiche) and its candidate read are the store's two
costliest statements, and both work on this index: a quarter to a third cheaper on
numbers, in an index about half the size.

A downgrade cannot turn the numbers back into the digests: it removes the keys, and the
store's markers saying the index was built with its rules, so that the older release's
`capactif init` re-indexes every fiche from its sealed identity.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_KEYS = sa.table("match_keys", sa.column("key"), sa.column("fiche_pk", sa.BigInteger))
# The markers `hub.services.matching.reindex` keeps for the rules the index was built with.
_RULES_MARKERS = ("blocking_rules", "blocking_rules_target", "blocking_rules_after")


def _number(digest: str) -> int:
    return int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # in place, the primary key rebuilt
        op.execute("ALTER TABLE match_keys ALTER COLUMN key TYPE bigint "
                   "USING ('x' || substr(key, 1, 16))::bit(64)::bigint")
    else:
        # SQLite's CAST reads no hex: each key becomes its number's decimal text in place
        # (a function of this connection, row by row: no table held in memory, a million
        # fiches are some eighteen million keys), then the table copy SQLite needs to
        # change a column's type casts that text to the integer. Two keys of one fiche
        # sharing their first 64 bits become one row (OR REPLACE), as the worker stores
        # them.
        bind.connection.driver_connection.create_function(
            "capactif_key_number", 1, _number_text, deterministic=True)
        op.execute("UPDATE OR REPLACE match_keys SET key = capactif_key_number(key)")
        with op.batch_alter_table("match_keys") as batch:
            batch.alter_column("key", type_=sa.BigInteger, existing_type=sa.String(32))
    # The index's markers say how its keys are stored (`index_markers.KEYS_STORED_AS`):
    # a worker of the release before, left running, compares them with its own and is
    # refused instead of writing and reading hex digests the index no longer holds.
    markers = sa.table("store_markers", sa.column("name", sa.String),
                       sa.column("value", sa.String))
    op.execute(sa.update(markers).where(
        markers.c.name.in_(_RULES_MARKERS[:2]), markers.c.value.not_like("%+n64"),
    ).values(value=markers.c.value + "+n64"))


def _number_text(digest: str) -> str:
    return str(_number(digest))


def downgrade() -> None:
    op.execute(sa.delete(_KEYS))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE match_keys ALTER COLUMN key TYPE varchar(32)")
    else:
        with op.batch_alter_table("match_keys") as batch:
            batch.alter_column("key", type_=sa.String(32), existing_type=sa.BigInteger)
    markers = sa.table("store_markers", sa.column("name", sa.String))
    op.execute(sa.delete(markers).where(markers.c.name.in_(_RULES_MARKERS)))
