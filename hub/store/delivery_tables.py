"""Deliveries: one fiche event for one recipient, already projected; per-recipient
feed positions; members' subscriptions, and the token of what routing reads."""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    sa.Column("member_id", sa.String(50), sa.ForeignKey("members.id"), nullable=False, index=True),
    sa.Column("criteria", sa.JSON, nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("updated_at", UTC_TIME, nullable=False),
)

# The token every write to `members` or `subscriptions` draws anew, in its own transaction
# (triggers of migration 0038): one row updated on SQLite, a row appended on PostgreSQL
# (migration 0041: no writer waits on another for it); a worker keeps the network it
# routes by while the token stays the same (`hub.store.token_memo`,
# `Deliveries.routing_token`).
routing_changes = sa.Table(
    "routing_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("token", sa.String(32), nullable=False),
    # How many changes the row stands for: rows below the current token are folded into
    # one (`Deliveries.fold_routing_changes`, migration 0042).
    sa.Column("weight", sa.Integer, nullable=False, server_default="1"),
)

feed_positions = sa.Table(
    "feed_positions",
    metadata,
    sa.Column("member_id", sa.String(50), primary_key=True),
    sa.Column("last_position", sa.BigInteger, nullable=False),
    sa.Column("dispatch_lease_until", UTC_TIME),
    sa.Column("dispatch_lease_owner", sa.String(40)),
)

# On PostgreSQL a row up to a page (a sealed payload of a few kB) stays whole in the table,
# neither compressed in vain nor moved to TOAST (migration 0025, `toast_tuple_target`).
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", BIGID, primary_key=True),
    # No foreign key on PostgreSQL (migration 0043; SQLite keeps it): members are never
    # deleted, and the worker names members it has just read.
    sa.Column("recipient_id", sa.String(50), nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("porteur_id", sa.String(40), nullable=False, index=True),
    # Indexed (migration 0060): each worker transaction asks who was sent its fiches.
    sa.Column("fiche_pk", sa.BigInteger, index=True),
    sa.Column("fiche_version", sa.Integer),
    sa.Column("purpose", sa.String(20), nullable=False),
    sa.Column("policy_version", sa.String(40), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTC_TIME),
    sa.Column("last_error", sa.String(200)),
    sa.Column("created_at", UTC_TIME, nullable=False),
    sa.Column("sent_at", UTC_TIME),
    sa.Column("retrying_since", UTC_TIME),  # the give-up clock: first try, or replay
    # The event of the notice that asked its recipient to delete it (`withdrawn`,
    # `narrowed`, `unmerged`; migration 0057): never served to it again.
    sa.Column("deletion_asked", sa.String(12)),
    # The head's 500s (a document refused, not a recipient unwell) in a row, and when its
    # line went on past it (migration 0061; hub.domain.webhook_line).
    sa.Column("refused_in_a_row", sa.Integer, nullable=False, server_default="0"),
    sa.Column("passed_at", UTC_TIME),
    sa.UniqueConstraint("recipient_id", "position", name="uq_deliveries_recipient_position"),
    sa.UniqueConstraint("idempotency_key", name="uq_deliveries_idempotency_key"),
)
# Searched for the webhooks to send (`pending`) and the dead letters (`dead`) only: on
# PostgreSQL the feed deliveries the worker writes (most of them) and the sent ones stay
# out of it (migration 0043). SQLite keeps it whole: its planner does not see that a
# bound `status = ?` falls within the index's condition.
sa.Index("ix_deliveries_due", deliveries.c.status, deliveries.c.next_attempt_at,
         postgresql_where=sa.text("status IN ('pending', 'dead')"))
