"""The worker's index records (`match_records`) and fiche links (`fiche_links`) lose
their foreign keys to `fiches` and `porteurs`.

Every processed fiche writes one row of each, and PostgreSQL checks a foreign key row by
row (a lookup and a share lock of the parent row for each): four checks a fiche. Measured
with `bench/_profile_worker.py --stages` (3,000 fiches, load 16): the two inserts cost the
database 6.3 and 6.2 ms of CPU a hundred fiches with the keys, 1.6 and 1.3 without, some
0.1 ms a fiche of the 0.57 the database spends on the worker. Nothing relies on them, as
for `match_keys` (0023): fiche and porteur rows are never deleted (an erasure destroys the
fiche's data key and removes its index rows itself; a merge changes a porteur's status),
and the worker writes a porteur in the transaction that first links a fiche to it
(tests/integration/test_worker_rows_refer.py checks every row names a fiche and a porteur).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# SQLite reports its constraints without names: batch mode names them by this convention.
_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
# table: (column, referred table) of each foreign key dropped
_KEYS = {
    "match_records": (("fiche_pk", "fiches"), ("porteur_id", "porteurs")),
    "fiche_links": (("fiche_pk", "fiches"), ("porteur_id", "porteurs")),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table, keys in _KEYS.items():
        dropped = {column for column, _referred in keys}
        found = [fk for fk in inspector.get_foreign_keys(table)
                 if set(fk["constrained_columns"]) <= dropped]
        with op.batch_alter_table(table, naming_convention=_CONVENTION) as batch:
            for fk in found:
                name = fk["name"] or _name(table, fk["constrained_columns"][0], fk["referred_table"])
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, keys in _KEYS.items():
        with op.batch_alter_table(table, naming_convention=_CONVENTION) as batch:
            for column, referred in keys:
                batch.create_foreign_key(_name(table, column, referred), referred, [column], ["id"])


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"
