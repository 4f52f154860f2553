"""SQLite: the blocking index's records (`match_records`) and the fiches' data keys
(`fiche_keys`) are stored under their fiche's number itself (`fiche_pk INTEGER PRIMARY
KEY`, the table's rowid), not under a rowid of their own beside a primary-key index.

An online match reads some ninety candidates by fiche number, each record joined with
its fiche's key: declared BIGINT, `fiche_pk` was a column like another, so every row
was found in the primary-key index first and then in the table by its rowid, twice a
candidate. Keyed by the rowid, each row is one search in one tree. PostgreSQL keeps both
tables as they are (bigint primary keys: its tables have no rowid to alias); the declared
tables say so with the type `BIGID` already gives fiche numbers elsewhere.

The upgrade copies the two tables (SQLite changes a column's type only so); the
downgrade copies them back.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None

_TABLES = ("match_records", "fiche_keys")


def upgrade() -> None:
    _retype(sa.Integer, sa.BigInteger)


def downgrade() -> None:
    _retype(sa.BigInteger, sa.Integer)


def _retype(to: type[sa.types.TypeEngine], was: type[sa.types.TypeEngine]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _TABLES:
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.alter_column("fiche_pk", type_=to(), existing_type=was(),
                               existing_nullable=False)
