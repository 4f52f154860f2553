"""Operational figures read from the store, and process heartbeats.

Every figure is a count or an age over pseudonymous ids (member ids are the
network's organisations): nothing here reads a personal field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from hub.store.audit_tables import audit_entries, audit_heads
from hub.store.delivery_repository import DEAD, PENDING
from hub.store.delivery_tables import deliveries
from hub.store.engine import store_errors
from hub.store.matching_repository import OPEN
from hub.store.matching_tables import review_items
from hub.store.ops_tables import process_heartbeats, timer_turns
from hub.store.tables import fiche_versions, outbox


@dataclasses.dataclass(frozen=True)
class RecipientBacklog:
    recipient_id: str
    pending: int
    dead: int
    oldest_pending_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Heartbeat:
    kind: str
    host: str
    pid: int
    seen_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class StoreFigures:
    fiche_versions: int
    outbox_pending: int
    outbox_oldest_pending_at: dt.datetime | None
    backlogs: list[RecipientBacklog]
    review_open: int
    audit_entries: int
    audit_signed_size: int
    audit_last_head_ms: int | None
    heartbeats: list[Heartbeat]


class OpsQueries:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def figures(self) -> StoreFigures:
        pending = self.conn.execute(
            sa.select(sa.func.count(), sa.func.min(outbox.c.created_at))
            .where(outbox.c.processed_at.is_(None))).one()
        head = self.conn.execute(
            sa.select(audit_heads.c.tree_size, audit_heads.c.timestamp_ms)
            .order_by(audit_heads.c.tree_size.desc(), audit_heads.c.id.desc()).limit(1)).first()
        return StoreFigures(
            fiche_versions=self._scalar(sa.select(sa.func.count()).select_from(fiche_versions)),
            outbox_pending=int(pending[0]),
            outbox_oldest_pending_at=pending[1],
            backlogs=self._backlogs(),
            review_open=self._scalar(sa.select(sa.func.count()).select_from(review_items)
                                     .where(review_items.c.status == OPEN)),
            audit_entries=self._scalar(sa.select(sa.func.coalesce(sa.func.max(audit_entries.c.seq) + 1, 0))),
            audit_signed_size=int(head.tree_size) if head else 0,
            audit_last_head_ms=int(head.timestamp_ms) if head else None,
            heartbeats=self.heartbeats(),
        )

    def _scalar(self, query: sa.Select) -> int:
        return int(self.conn.execute(query).scalar_one() or 0)

    def _backlogs(self) -> list[RecipientBacklog]:
        rows = self.conn.execute(
            sa.select(deliveries.c.recipient_id, deliveries.c.status, sa.func.count(),
                      sa.func.min(deliveries.c.created_at))
            .where(deliveries.c.status.in_([PENDING, DEAD]))
            .group_by(deliveries.c.recipient_id, deliveries.c.status)).all()
        counts: dict[tuple[str, str], int] = {}
        oldest: dict[str, dt.datetime] = {}
        for recipient, status, count, first in rows:
            counts[recipient, status] = int(count)
            if status == PENDING:
                oldest[recipient] = first
        recipients = sorted({recipient for recipient, _status in counts})
        return [RecipientBacklog(r, counts.get((r, PENDING), 0), counts.get((r, DEAD), 0), oldest.get(r))
                for r in recipients]

    def heartbeats(self) -> list[Heartbeat]:
        rows = self.conn.execute(sa.select(process_heartbeats).order_by(process_heartbeats.c.id))
        return [Heartbeat(row.kind, row.host, row.pid, row.seen_at) for row in rows]

    def alive(self, kind: str, since: dt.datetime) -> list[Heartbeat]:
        """The processes of `kind` that beat since `since`."""
        rows = self.conn.execute(
            sa.select(process_heartbeats)
            .where(process_heartbeats.c.kind == kind, process_heartbeats.c.seen_at >= since))
        return [Heartbeat(row.kind, row.host, row.pid, row.seen_at) for row in rows]

    def beat(self, *, kind: str, host: str, pid: int, now: dt.datetime) -> None:
        """Record that a process is alive (insert once, then refresh `seen_at`)."""
        process_id = f"{kind}:{host}:{pid}"
        updated = self.conn.execute(
            sa.update(process_heartbeats).where(process_heartbeats.c.id == process_id)
            .values(seen_at=now)).rowcount
        if not updated:
            self.conn.execute(sa.insert(process_heartbeats).values(
                id=process_id, kind=kind, host=host[:120], pid=pid, started_at=now, seen_at=now))

    def forget(self, *, kind: str, host: str, pid: int) -> None:
        self.conn.execute(sa.delete(process_heartbeats)
                          .where(process_heartbeats.c.id == f"{kind}:{host}:{pid}"))

    def forget_older_than(self, cutoff: dt.datetime) -> int:
        return self.conn.execute(sa.delete(process_heartbeats)
                                 .where(process_heartbeats.c.seen_at < cutoff)).rowcount

    def turn_free(self, name: str, taken_before: dt.datetime) -> bool:
        """Whether the turn `name` was last taken before `taken_before` (or never)."""
        taken_since = self.conn.scalar(sa.select(timer_turns.c.name).where(
            timer_turns.c.name == name, timer_turns.c.taken_at > taken_before))
        return taken_since is None

    def take_turn(self, name: str, now: dt.datetime, taken_before: dt.datetime) -> bool:
        """Take the turn `name` if it was last taken before `taken_before` (or never):
        one conditional update, so of workers trying at once one takes it (PostgreSQL
        re-reads the row the first one updated; SQLite writes one at a time)."""
        taken = self.conn.execute(
            sa.update(timer_turns)
            .where(timer_turns.c.name == name, timer_turns.c.taken_at <= taken_before)
            .values(taken_at=now, taken=timer_turns.c.taken + 1)
            .returning(timer_turns.c.name)).first()
        if taken is not None:
            return True
        if self.conn.scalar(sa.select(timer_turns.c.name).where(timer_turns.c.name == name)):
            return False
        insert = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)
        return self.conn.execute(  # the row it inserted, none when another worker's won
            insert(timer_turns).values(name=name, taken_at=now, taken=1)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(timer_turns.c.name)).first() is not None

    def turns_taken(self, name: str) -> int:
        return self.conn.scalar(
            sa.select(timer_turns.c.taken).where(timer_turns.c.name == name)) or 0


def take_turn_at_once(engine: sa.Engine, name: str, now: dt.datetime,
                      taken_before: dt.datetime) -> bool:
    """`OpsQueries.take_turn` committed by the statement itself on PostgreSQL (autocommit):
    a worker frozen (SIGSTOP) between its update and its commit would hold the row's lock
    for as long as it stays frozen, and every other worker's turn would wait for it. On
    SQLite a frozen writer holds the file's lock whatever it does: one transaction."""
    with store_errors():
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return OpsQueries(conn).take_turn(name, now, taken_before)
        with engine.begin() as conn:
            return OpsQueries(conn).take_turn(name, now, taken_before)
