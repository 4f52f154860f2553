"""The coordination's index of porteurs (filters, sorting, paging and search in the
database), its search digests, and how far it has followed the changes; what the
monthly meeting decides (referent proposals, parrains, items to discuss).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
# The columns the index follows changes by (hub/store/porteur_index_tables.py).
_FOLLOWED = [("ix_fiches_updated_at", "fiches", "updated_at"),
             ("ix_fiche_links_unlinked_at", "fiche_links", "unlinked_at"),
             ("ix_consents_recorded_at", "consents", "recorded_at")]


def upgrade() -> None:
    op.create_table(
        "porteur_index",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("stage", sa.String(20)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("commune_insee", sa.String(10)),
        sa.Column("commune", sa.String(200)),
        sa.Column("first_contact", sa.Date, nullable=False),
        sa.Column("last_news", sa.Date),
        sa.Column("has_referent", sa.Boolean, nullable=False),
        sa.Column("has_parrain", sa.Boolean, nullable=False),
        sa.Column("refreshed_at", UTC_TIME, nullable=False),
    )
    for column in ("commune_insee", "first_contact", "last_news"):
        op.create_index(f"ix_porteur_index_{column}", "porteur_index", [column])
    op.create_index("ix_porteur_index_attention", "porteur_index",
                    ["active", "has_referent", "last_news"])
    op.create_table(
        "porteur_index_members",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("member_id", sa.String(50), primary_key=True),
    )
    op.create_index("ix_porteur_index_members_member_id", "porteur_index_members", ["member_id"])
    op.create_table(
        "porteur_search_keys",
        sa.Column("porteur_id", sa.String(40), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
    )
    op.create_index("ix_porteur_search_keys_digest", "porteur_search_keys", ["digest"])
    op.create_table(
        "porteur_index_marks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("fiche_time", UTC_TIME),
        sa.Column("link_id", sa.BigInteger, nullable=False),
        sa.Column("link_time", UTC_TIME),
        sa.Column("consent_state_id", sa.BigInteger, nullable=False),
        sa.Column("checked_at", UTC_TIME),
        sa.Column("built_for", sa.String(120)),
    )
    for name, table, column in _FOLLOWED:
        op.create_index(name, table, [column])
    op.create_table(
        "meeting_actions",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("porteur_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("member_id", sa.String(50)),
        sa.Column("parrain", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("answered_at", UTC_TIME),
        sa.Column("answer_note", sa.Text),
    )
    op.create_index("ix_meeting_actions_porteur_id", "meeting_actions", ["porteur_id"])
    op.create_index("ix_meeting_actions_created_at", "meeting_actions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_meeting_actions_created_at", "meeting_actions")
    op.drop_index("ix_meeting_actions_porteur_id", "meeting_actions")
    op.drop_table("meeting_actions")
    for name, table, _column in _FOLLOWED:
        op.drop_index(name, table)
    op.drop_table("porteur_index_marks")
    op.drop_index("ix_porteur_search_keys_digest", "porteur_search_keys")
    op.drop_table("porteur_search_keys")
    op.drop_index("ix_porteur_index_members_member_id", "porteur_index_members")
    op.drop_table("porteur_index_members")
    op.drop_index("ix_porteur_index_attention", "porteur_index")
    for column in ("commune_insee", "first_contact", "last_news"):
        op.drop_index(f"ix_porteur_index_{column}", "porteur_index")
    op.drop_table("porteur_index")
