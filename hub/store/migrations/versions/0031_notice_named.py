"""Whether the owner of a consent (the requester of an erasure) is told of a notice's
recipient is decided when the notice is sent and kept with it: decided again at each
read, the answer changed once the fiche was gone (acknowledgements answered empty).
NULL for notices sent before: decided at each read, as then.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("consent_notice_acks", sa.Column("named", sa.Boolean))


def downgrade() -> None:
    op.drop_column("consent_notice_acks", "named")
