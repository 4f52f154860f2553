"""An index of the fiches by porteur. The worker reads, for every transaction, the members
owning a fiche of its porteurs (their followers), and the console, merges and separations
a porteur's fiches: without it each read went through the whole fiches table, a cost
growing with every fiche the hub holds.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_fiches_porteur_id", "fiches", ["porteur_id"])


def downgrade() -> None:
    op.drop_index("ix_fiches_porteur_id", table_name="fiches")
