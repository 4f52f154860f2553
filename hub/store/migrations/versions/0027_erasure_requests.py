"""Erasure requests put to the other owners of a porteur's fiches: a member's erasure
request erases its own fiches only; each other owner is asked, and confirms or declines
(or the coordination confirms in the console).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasure_requests",
        sa.Column("erasure_id", sa.String(40), sa.ForeignKey("erasures.id"), primary_key=True),
        sa.Column("owner_id", sa.String(50), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("named_to_requester", sa.Boolean, nullable=False),
        sa.Column("requester_named", sa.Boolean, nullable=False),
        sa.Column("motif", sa.String(30)),
        sa.Column("precision", sa.String(500)),
        sa.Column("answered_at", UTC_TIME),
        sa.Column("answered_by", sa.String(100)),
        sa.Column("done_erasure_id", sa.String(40)),
        sa.Column("fiche_pks", sa.JSON, nullable=False),
    )
    op.create_index("ix_erasure_requests_status", "erasure_requests", ["status"])


def downgrade() -> None:
    # Dropping the table would silently lose the porteurs' requests still waiting for an
    # owner's answer: refused while one is pending.
    pending = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM erasure_requests WHERE status = 'pending'")).scalar_one()
    if pending:
        raise RuntimeError(
            f"{pending} demande(s) d'effacement en attente de réponse : revenir avant 0027 les "
            "perdrait ; faites-les confirmer ou refuser d'abord. / "
            f"{pending} erasure request(s) awaiting an answer: going back before 0027 would "
            "lose them; have them confirmed or declined first.")
    op.drop_index("ix_erasure_requests_status", "erasure_requests")
    op.drop_table("erasure_requests")
