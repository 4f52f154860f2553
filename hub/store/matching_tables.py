"""Deduplication: the persistent blocking index, the review queue, the pair memory and
the merge history.

The index holds, per processed fiche, the porteur identity fields it was matched on and
their normalised record in compact form (`match_records`, both sealed with the fiche's
data key) and the digests of its blocking keys (`match_keys`, indexed by key): the worker
fetches candidates by key and never loads the population in memory.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# No foreign keys (migration 0035): checked row by row, they cost the database a fifth of
# its CPU on the worker's inserts; fiches and porteurs are never deleted, and the worker
# writes a porteur in the transaction that first links a fiche to it.
match_records = sa.Table(
    "match_records",
    metadata,
    # SQLite: the table's rowid itself (migration 0050), a candidate found in one tree
    sa.Column("fiche_pk", BIGID, primary_key=True, autoincrement=False),
    sa.Column("porteur_id", sa.String(40), nullable=False, index=True),
    sa.Column("identity", sa.JSON, nullable=False),
    sa.Column("indexed_at", UTC_TIME, nullable=False),
    # `hub.domain.matching.record_form`, sealed; NULL for a fiche indexed before 0024
    sa.Column("record_form", sa.Text),
    # When the consent the indexed version cites ends (seconds since the epoch, UTC): the
    # fiche is no candidate from then on, before the expiry sweep takes it out of the
    # index. NULL: not known (indexed before 0049, or citing no consent the hub knows).
    sa.Column("consent_end_us", sa.BigInteger),
)

# No foreign key to fiches (migration 0023): checked row by row, it nearly doubled the cost
# of the worker's largest insert; an erasure removes a fiche's keys itself (`forget`).
match_keys = sa.Table(
    "match_keys",
    metadata,
    sa.Column("key", sa.BigInteger, primary_key=True),  # `key_number` of its digest (0028)
    sa.Column("fiche_pk", sa.BigInteger, primary_key=True, index=True),
)

# The worker's locks on blocking-key stripes (PostgreSQL; `Matching.lock_keys`): one row a
# stripe, locked with FOR UPDATE / FOR SHARE. Row locks live in the rows, not in the
# server's shared lock table, so a transaction's locks do not fill that table however
# many fiches it holds (a row is written the first time a worker needs it; SQLite keeps
# the table empty). Unlogged on PostgreSQL (migration 0036): neither writing nor locking
# its rows writes WAL; a crash empties it and the workers write the rows again.
match_lock_stripes = sa.Table(
    "match_lock_stripes",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=False),
)

review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
    sa.Column("porteur_id", sa.String(40), nullable=False),
    sa.Column("candidate_fiche_pk", sa.BigInteger, sa.ForeignKey("fiches.id"), nullable=False),
    sa.Column("candidate_porteur_id", sa.String(40), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("explanation", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("opened_at", UTC_TIME, nullable=False),
    sa.Column("decided_at", UTC_TIME),
    sa.Column("decided_by", sa.String(50)),
    # The compared fields of the explanation (`told_fields.explained_mask`, migration 0053):
    # the queue's order by probability compares it with what each side discloses. NULL:
    # opened before, written by the first page of the queue that needs it.
    sa.Column("explained_fields", sa.Integer),
    # One more each time the worker scores the item again on a new version of a side: a
    # decision names the revision it was made on (`duplicates.decide`).
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
)
sa.Index("ix_review_items_status_id", review_items.c.status, review_items.c.id)
# The console's queue sorted by probability or by age, in the database.
sa.Index("ix_review_items_status_probability", review_items.c.status, review_items.c.probability)
sa.Index("ix_review_items_status_opened_at", review_items.c.status, review_items.c.opened_at)
# The queue's order read from the index alone (`ReviewQueue.page`: the rows hold the
# explanations), and the open items whose compared fields are not written yet.
sa.Index("ix_review_items_status_explained", review_items.c.status,
         review_items.c.explained_fields, review_items.c.fiche_pk,
         review_items.c.candidate_fiche_pk, review_items.c.probability, review_items.c.opened_at)

match_judgements = sa.Table(
    "match_judgements",
    metadata,
    sa.Column("fiche_a", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True),
    sa.Column("fiche_b", sa.BigInteger, sa.ForeignKey("fiches.id"), primary_key=True),
    sa.Column("decision", sa.String(12), nullable=False),
    sa.Column("review_item_id", sa.BigInteger),
    sa.Column("decided_by", sa.String(50), nullable=False),
    sa.Column("decided_at", UTC_TIME, nullable=False),
)

merge_events = sa.Table(
    "merge_events",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("porteur_id", sa.String(40), nullable=False, index=True),
    sa.Column("other_porteur_id", sa.String(40), nullable=False, index=True),
    sa.Column("fiche_pks", sa.JSON, nullable=False),
    sa.Column("review_item_id", sa.BigInteger),
    sa.Column("actor", sa.String(50), nullable=False),
    sa.Column("actor_user", sa.String(100)),  # the console account that decided, if any
    sa.Column("at", UTC_TIME, nullable=False),
    # a merge: the fiches the kept porteur held then (NULL: recorded before 0045)
    sa.Column("kept_fiche_pks", sa.JSON),
    # a merge: the meeting actions that came with the absorbed porteur (NULL: before 0055)
    sa.Column("meeting_action_ids", sa.JSON),
)
