"""Operations tables: the heartbeats of worker and beat processes, the turns of the
workers' periodic work, and the decisions of the recovery journal the store holds.

A heartbeat row names a process by host name and pid (machines, not people), so the
API can say in its metrics whether workers are alive without reaching the broker's
control channel (which the embedded broker does not have).
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.store.tables import UTC_TIME, metadata

process_heartbeats = sa.Table(
    "process_heartbeats",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("host", sa.String(120), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", UTC_TIME, nullable=False),
    sa.Column("seen_at", UTC_TIME, nullable=False),
)

# The turns of the periodic work every worker's timer may do (the outbox sweep): a worker
# takes one with a conditional update (`OpsQueries.take_turn`), so N workers do it once an
# interval between them; `taken` counts the turns taken.
timer_turns = sa.Table(
    "timer_turns",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("taken_at", UTC_TIME, nullable=False),
    sa.Column("taken", sa.BigInteger, nullable=False),
)

# The decisions of the recovery journal (hub.journal: a departure, a revoked credential, a
# separation, an answer to an erasure request...) this store holds: each is named here in
# its own transaction, so a restore replays those its copy lacks, and only those.
journal_decisions = sa.Table(
    "journal_decisions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("at", UTC_TIME, nullable=False),
)
