"""A delivery a notice asked its recipient to delete is marked with that notice's event
(`deliveries.deletion_asked`: `withdrawn`, `narrowed`, `unmerged`), so that it is never
served to that recipient again, whatever consent comes later (hub.services.delivery.coverage).

Deliveries listed by notices sent before hold NULL: read as before (through their consents).

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN keeps SQLite's tables as they are (no copy, their foreign keys: 0039), and
    # PostgreSQL's a nullable column without default: no rewrite of the largest table.
    op.add_column("deliveries", sa.Column("deletion_asked", sa.String(12), nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "deletion_asked")  # SQLite's DROP COLUMN: the table as it is
