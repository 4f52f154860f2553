"""A member's status in the network (`active` or `left`), when it left and who recorded
it: a member that left keeps its row (the access log and art. 15 reports still name it)
but holds no credential, no subscription and receives nothing.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


# Plain ALTER TABLE on both databases (SQLite >= 3.35 drops a column in place): a batch
# would copy `members` on SQLite, which the fiches' and deliveries' foreign keys refuse.
def upgrade() -> None:
    op.add_column("members", sa.Column("status", sa.String(10), nullable=False,
                                       server_default="active"))
    op.add_column("members", sa.Column("left_at", UTC_TIME))
    op.add_column("members", sa.Column("left_by", sa.String(100)))


def downgrade() -> None:
    # Dropping the status would put every member that left back in the network (its
    # webhook address and history kept): refused while one has left.
    left = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM members WHERE status = 'left'")).scalar_one()
    if left:
        raise RuntimeError(
            f"{left} membre(s) sorti(s) du réseau : revenir avant 0026 les remettrait dans le "
            f"réseau ; réadmettez-les ou supprimez-les d'abord. / {left} member(s) left the "
            "network: going back before 0026 would put them back in it; readmit or remove "
            "them first.")
    for column in ("left_by", "left_at", "status"):
        op.drop_column("members", column)
