"""The lock stripes' table is unlogged (PostgreSQL): its rows hold nothing but the workers'
key locks. Logged, each row written and each row locked wrote a WAL record (and, after a
checkpoint, the first lock on each of its pages a full-page image: up to 36 MB a
checkpoint), some 2,000 a transaction of 100 fiches, and a worker's write of new rows
waited for the WAL's flush at its commit. Unlogged, PostgreSQL writes none of it: a
stripe's insert and lock cost its backend some 15 % less (1M rows, 2,000 at a time).

What an unlogged table gives up is harmless here: after a crash of the server the table
is empty, and a replica or a point-in-time copy has it empty. The workers write the rows
again as they lock them (rows gone under a running worker: `Matching.lock_keys`), as after
a restore, whose copy never carried them.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE match_lock_stripes SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE match_lock_stripes SET LOGGED")
