"""An index of the deliveries by fiche. Every worker transaction asks which members were
sent data of its fiches already (`Deliveries.data_recipients`: a member's first delivery
of a fiche is `created`), and erasures, withdrawals, merges and separations ask which
members received a fiche: without it each such read went through the whole deliveries
table (their sealed payloads kept inline: 39 MB at 5,000 deliveries), a cost growing with
every delivery the hub has made, paid once a transaction (two workers make some three
times the transactions of one).

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-08
"""

from alembic import op

revision = "0060"
down_revision = "0059"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_fiche_pk", "deliveries", ["fiche_pk"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_fiche_pk", table_name="deliveries")
