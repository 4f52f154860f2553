"""The answer of an erasure committed whose old key-encryption keys the key directory
refused to lose (its volume full): the same request sent again answers that erasure,
and destroys them then, instead of a 409 (already erased) or a 404 (fiche removed).

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None
UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasure_answers",
        sa.Column("retry_key", sa.String(64), primary_key=True),
        sa.Column("erasure_id", sa.String(40), nullable=False),
        sa.Column("answer", sa.JSON, nullable=False),
        sa.Column("answered_at", UTC_TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erasure_answers")
