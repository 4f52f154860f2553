"""The blocking index's key rows (`match_keys`) lose their foreign key to `fiches`.

Some fifteen key rows are written per processed fiche, and PostgreSQL checks a foreign
key row by row (a lookup and a share lock of the fiche for each): it was nearly half the
cost of the worker's largest insert. Nothing relies on it: fiche rows are never deleted
(an erasure destroys the fiche's key and removes its index rows itself, in the same
transaction: `Matching.forget`), and `match_records`, through which every candidate is
read, keeps its own foreign key.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# SQLite reports the constraint without a name: batch mode names it by this convention.
_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_NAME = "fk_match_keys_fiche_pk_fiches"


def upgrade() -> None:
    found = sa.inspect(op.get_bind()).get_foreign_keys("match_keys")
    with op.batch_alter_table("match_keys", naming_convention=_CONVENTION) as batch:
        for foreign_key in found:
            batch.drop_constraint(foreign_key["name"] or _NAME, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("match_keys", naming_convention=_CONVENTION) as batch:
        batch.create_foreign_key(_NAME, "fiches", ["fiche_pk"], ["id"])
