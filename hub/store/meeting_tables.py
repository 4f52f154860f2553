"""What the coordination decides about a porteur at the monthly meeting: a referent
structure proposed to a member (who accepts or declines through the API), a parrain
recorded, an item kept "à voir en réunion" with a note. Each row names the console
account that decided (`created_by`) and, for a proposal, the member's answer."""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

meeting_actions = sa.Table(
    "meeting_actions",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("porteur_id", sa.String(40), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),  # referent | parrain | a_voir
    sa.Column("member_id", sa.String(50)),  # the structure proposed as referent
    sa.Column("parrain", sa.Text),  # sealed, as the notes (meeting_repository)
    sa.Column("note", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_by", sa.String(40), nullable=False),
    sa.Column("created_at", UTC_TIME, nullable=False, index=True),
    sa.Column("answered_at", UTC_TIME),
    sa.Column("answer_note", sa.Text),
    # The fiche whose data key seals the texts (None: rows written before sealing).
    sa.Column("key_fiche_pk", sa.BigInteger),
)
