"""Information notices registered by members: owner, language, purposes.

Notices stored before (by the operator or the demo) keep a NULL member (the operator),
the language `fr` and NULL purposes (they limit none).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_notices") as batch:
        batch.add_column(sa.Column("member_id", sa.String(50)))
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="fr"))
        batch.add_column(sa.Column("purposes", sa.JSON))
        batch.create_index("ix_consent_notices_member_id", ["member_id"])


def downgrade() -> None:
    with op.batch_alter_table("consent_notices") as batch:
        batch.drop_index("ix_consent_notices_member_id")
        batch.drop_column("purposes")
        batch.drop_column("language")
        batch.drop_column("member_id")
