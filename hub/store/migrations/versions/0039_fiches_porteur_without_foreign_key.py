"""`fiches.porteur_id` loses its foreign key to `porteurs` on PostgreSQL.

The worker sets every processed fiche's porteur, and PostgreSQL checked the key row by row:
a look-up of the porteur and a key-share lock of its row (a write to the porteur's tuple).
With `bench/_profile_worker.py --stages` (3,000 fiches, transactions of 500), the worker's
`UPDATE fiches` cost its backend 1.52-1.64 ms of CPU a hundred fiches with the key and
1.00-1.19 without (two runs each, load 10-13): some 0.005 ms a fiche, 2 % of the
database's CPU on the worker's side. Nothing relies on it, as for the index records and
links (0035): fiche and porteur rows are never deleted (an erasure destroys the fiche's
data key and keeps the row; a member that leaves keeps its fiches; a merge changes a
porteur's status), and every path that names a porteur writes it first in the same
transaction (the worker's new porteurs, a separation's).
tests/integration/test_worker_rows_refer.py checks that every fiche names a porteur that
exists after new, linked, reviewed, refreshed, merged and separated fiches.

SQLite keeps it: dropping a key there rebuilds the table, and `fiches` is the table the
others refer to (versions, review pairs...): copied aside and back inside the migration's
transaction, with foreign keys enforced, each row put back is checked against every
table referring to it (`match_judgements` has no index of its own on `fiche_b`: a scan of
it for each fiche). Its check costs SQLite a look-up in the porteurs' primary key and no
lock, inside the worker's process; the tests on SQLite go on checking the key each time.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

_NAME = "fk_fiches_porteur_id_porteurs"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for fk in sa.inspect(op.get_bind()).get_foreign_keys("fiches"):
        if fk["constrained_columns"] == ["porteur_id"]:
            op.drop_constraint(fk["name"], "fiches", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(_NAME, "fiches", "porteurs", ["porteur_id"], ["id"])
