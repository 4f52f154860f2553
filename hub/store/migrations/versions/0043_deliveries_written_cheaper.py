"""Deliveries cost the database less to write: the due index holds the deliveries a
dispatch or the dead-letter listing looks for only, and PostgreSQL no longer checks the
recipient's foreign key row by row.

The worker writes one row a recipient for every fiche it processes, feed deliveries
mostly (a member without a webhook reads its feed): each went into the due index
(`status, next_attempt_at`), which is only ever searched for `pending` (the webhooks to
send) and `dead` (the dead letters) rows, and each had its recipient looked up and its
member row key-share locked by the foreign key's trigger. Measured with
`bench/_profile_worker.py` (2,000 fiches, transactions of 500; the branch's report has
the figures): the `COPY deliveries` of the worker cost its backend ~5.7 ms of CPU a
hundred fiches before. Nothing relies on the key: members are never deleted (one that
leaves keeps its row and status), and the worker names as recipients members it has just
read in the same transaction (tests/integration/test_worker_rows_refer.py checks every
delivery names a member that exists).

SQLite keeps both as they were. The key, as it keeps `fiches`'s to `porteurs` (0039):
dropping it rebuilds the table, and SQLite checks it inside the worker's process with no
lock. The whole index: SQLite's planner does not see that a bound `status = ?` falls
within a partial index's condition, and would read the whole table instead.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

_DUE = "ix_deliveries_due"
_WHERE = sa.text("status IN ('pending', 'dead')")
_NAME = "fk_deliveries_recipient_id_members"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_DUE, table_name="deliveries")
    op.create_index(_DUE, "deliveries", ["status", "next_attempt_at"], postgresql_where=_WHERE)
    for fk in sa.inspect(op.get_bind()).get_foreign_keys("deliveries"):
        if fk["constrained_columns"] == ["recipient_id"]:
            op.drop_constraint(fk["name"], "deliveries", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_foreign_key(_NAME, "deliveries", "members", ["recipient_id"], ["id"])
    op.drop_index(_DUE, table_name="deliveries")
    op.create_index(_DUE, "deliveries", ["status", "next_attempt_at"])
