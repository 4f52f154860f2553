"""`routing_changes.weight`: how many changes a row stands for, so that the rows below the
current token can be folded into one (`Deliveries.fold_routing_changes`) and the table,
which gains a row a write on PostgreSQL (migration 0041), stops growing.

The worker's token counted the rows (`Deliveries.routing_token`); it now sums their
weights, 1 a row as written, so a fold leaves it as it was: a worker's kept network stays
valid through a fold, and a change committed after the worker read the token (a late
transaction holding a lower id) moves the sum, folded or not. Deleting the rows instead
would bring the count back to a value a worker holds, with the same token of the highest
id, and hide such a change from it.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("routing_changes",
                  sa.Column("weight", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    # A folded row unfolded into as many rows as its weight (ids below every other, the
    # lowest included, which an earlier way down may have made negative: the count, which
    # the worker's token reads again, stays the sum, the highest id its own).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("INSERT INTO routing_changes (id, token) SELECT (SELECT min(id) FROM "
                   "routing_changes) - row_number() OVER (), r.token "
                   "FROM routing_changes r, generate_series(2, r.weight)")
    op.drop_column("routing_changes", "weight")  # SQLite: in place (no copy: its triggers)
