"""The steering committee's figures of each porteur, kept beside the coordination's
index so that the indicators are counted in the database; the index is rebuilt once
to fill them; the duplicate queue sorted by probability or age, and the access log searched by
console account, on indexes; meeting notes and parrains sealed.

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "porteur_figures",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("first_month", sa.String(7)),
        *_flags(),
    )
    op.create_index("ix_porteur_figures_counts", "porteur_figures",
                    ["first_month", "avec_referent", "installations", "finances_pfil"])
    op.create_table(
        "porteur_figure_members",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("member_id", sa.String(50), primary_key=True),
        sa.Column("first_month", sa.String(7), nullable=False),
        *_flags(),
    )
    op.create_index("ix_porteur_figure_members_counts", "porteur_figure_members",
                    ["member_id", "first_month", "avec_referent", "installations",
                     "finances_pfil"])
    op.create_index("ix_review_items_status_probability", "review_items",
                    ["status", "probability"])
    op.create_index("ix_review_items_status_opened_at", "review_items", ["status", "opened_at"])
    op.create_index("ix_audit_entries_actor_user_seq", "audit_entries", ["actor_user", "seq"])
    # A parrain's name and the notes are sealed with a fiche's data key (longer than
    # the name was allowed to be), which the row names.
    with op.batch_alter_table("meeting_actions") as batch:
        batch.alter_column("parrain", type_=sa.Text, existing_type=sa.String(200))
        batch.add_column(sa.Column("key_fiche_pk", sa.BigInteger))
    # The territory filter's communes from an index alone (code, then name).
    op.drop_index("ix_porteur_index_commune_insee", "porteur_index")
    op.create_index("ix_porteur_index_commune", "porteur_index", ["commune_insee", "commune"])
    op.create_index("ix_porteur_index_active_first_contact", "porteur_index",
                    ["active", "first_contact"])
    # The next console page rebuilds the whole index, figures included.
    op.execute("DELETE FROM porteur_index_marks")


def _flags() -> list[sa.Column]:
    return [sa.Column(name, sa.Boolean, nullable=False)
            for name in ("avec_referent", "installations", "finances_pfil")]


def downgrade() -> None:
    op.drop_index("ix_porteur_index_active_first_contact", "porteur_index")
    op.drop_index("ix_porteur_index_commune", "porteur_index")
    op.create_index("ix_porteur_index_commune_insee", "porteur_index", ["commune_insee"])
    with op.batch_alter_table("meeting_actions") as batch:
        batch.drop_column("key_fiche_pk")
        batch.alter_column("parrain", type_=sa.String(200), existing_type=sa.Text)
    op.drop_index("ix_audit_entries_actor_user_seq", "audit_entries")
    op.drop_index("ix_review_items_status_opened_at", "review_items")
    op.drop_index("ix_review_items_status_probability", "review_items")
    op.drop_table("porteur_figure_members")
    op.drop_table("porteur_figures")
