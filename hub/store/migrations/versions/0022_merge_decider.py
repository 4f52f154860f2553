"""The console account that decided each merge or split (`merge_events.actor_user`), so
that the history names the coordinator and not only the coordination.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merge_events") as batch:
        batch.add_column(sa.Column("actor_user", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("merge_events") as batch:
        batch.drop_column("actor_user")
