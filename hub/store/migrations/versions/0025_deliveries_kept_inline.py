"""PostgreSQL keeps a delivery's row whole in its table page (`toast_tuple_target`), rather
than compressing its sealed payload and moving it out to the TOAST table.

A delivery row is some 3.3 kB (a sealed projection of ~2.4 kB, its field list), over the
default 2 kB threshold: every insert tried to compress the payload (sealed, so it never
shrinks) and then wrote it as chunks into a second table and its index, some ten WAL
records a row. Rows up to a page (8,160 bytes) now stay whole: the worker's insert of
deliveries cost about a third less (`bench/_profile_worker.py`, COPY deliveries), and
reading a feed or a webhook's payload no longer joins the TOAST table. Larger rows are
moved out as before. SQLite has no such setting: nothing to do.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# The largest value PostgreSQL accepts: a row is moved out only when it cannot fit a page.
ROW_TARGET = 8160


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE deliveries SET (toast_tuple_target = {ROW_TARGET})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deliveries RESET (toast_tuple_target)")
