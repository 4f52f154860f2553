"""The access log's events of one porteur id in seq order from an index (porteur_ref, seq):
the access report reads them a page at a time, newest first, each page below the last
one's seq, and the DPO's search by porteur takes the newest. On `porteur_ref` alone,
PostgreSQL sorted every event of the porteur again for each page.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-06
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_entries_porteur_ref_seq", "audit_entries", ["porteur_ref", "seq"])
    op.drop_index("ix_audit_entries_porteur_ref", "audit_entries")


def downgrade() -> None:
    op.create_index("ix_audit_entries_porteur_ref", "audit_entries", ["porteur_ref"])
    op.drop_index("ix_audit_entries_porteur_ref_seq", "audit_entries")
