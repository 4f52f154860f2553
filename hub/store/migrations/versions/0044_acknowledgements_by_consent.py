"""The acknowledgements of withdrawal and erasure notices are found by their subject (the
consent's id): the DPO's consents page reads a page of consents' acknowledgements, a
member its consent's, and the table's only index, (kind, subject, recipient), could not
serve a search by subject alone: both read every acknowledgement the hub ever tracked.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-06
"""

from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

_NAME = "ix_consent_notice_acks_subject"


def upgrade() -> None:
    op.create_index(_NAME, "consent_notice_acks", ["subject_id"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="consent_notice_acks")
