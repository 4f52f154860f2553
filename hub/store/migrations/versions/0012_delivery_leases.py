"""Delivery leases with an owner (renewed by a heartbeat, released only by their holder)
and a give-up clock that a replay resets.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("feed_positions") as batch:
        batch.add_column(sa.Column("dispatch_lease_owner", sa.String(40)))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("retrying_since", UTC_TIME))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("retrying_since")
    with op.batch_alter_table("feed_positions") as batch:
        batch.drop_column("dispatch_lease_owner")
