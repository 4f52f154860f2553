"""The worker's key locks become row locks on a table of stripes (PostgreSQL).

A worker transaction locked each blocking-key stripe of its fiches with a transaction-
scoped advisory lock (about 20 a fiche, 2,000 for a transaction of 100 fiches, held until
its commit). Advisory locks take slots of the server's shared lock table
(`max_locks_per_transaction` x connections: 6,400 by default): four workers could fill it
("out of shared memory") and a transaction of 500 fiches needed 10,000 slots alone. A row
lock is written in the row itself: the worker now locks rows of this table, one a stripe,
and its use of the lock table no longer grows with the fiches it holds.

The rows are written once here (1,048,576 stripes, `HUB_MATCH_LOCK_STRIPES`' highest
value): about 36 MB of table and 22 MB of index. SQLite serialises its writers and keeps
the table empty.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

STRIPES = 1 << 20


def upgrade() -> None:
    op.create_table("match_lock_stripes",
                    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("INSERT INTO match_lock_stripes (n) "
                           f"SELECT generate_series(0, {STRIPES - 1})"))


def downgrade() -> None:
    op.drop_table("match_lock_stripes")
