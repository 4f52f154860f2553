"""A review item's revision (`review_items.revision`): 1 when opened, one more each time
the worker scores the item again against a new version of one of its sides. A decision
names the revision the coordinator saw; one made on an older revision is refused
(`review_item_changed`). Items open before read revision 1.

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0054"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("revision")
