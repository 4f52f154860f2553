"""The worker's key locks become row locks on a table of stripes (PostgreSQL).

A worker transaction locked each blocking-key stripe of its fiches with a transaction-
scoped advisory lock (about 20 a fiche, 2,000 for a transaction of 100 fiches, held until
its commit). Advisory locks take slots of the server's shared lock table
(`max_locks_per_transaction` x connections: 6,400 by default): four workers could fill it
("out of shared memory") and a transaction of 500 fiches needed 10,000 slots alone. A row
lock is written in the row itself: the worker now locks rows of this table, one a stripe,
and its use of the lock table no longer grows with the fiches it holds.

The table starts empty: a worker writes a stripe's row the first time it meets it without
(in a short transaction of its own), up to `HUB_MATCH_LOCK_STRIPES` rows (2**20 at most:
36 MB of table and 22 MB of index when all are written). Written here, they made every
copy of an empty store 58 MB larger (a test database: 0.5 s to copy from its template
became 2-2.8 s). SQLite serialises its writers and keeps the table empty.

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


def upgrade() -> None:
    op.create_table("match_lock_stripes",
                    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False))


def downgrade() -> None:
    op.drop_table("match_lock_stripes")
