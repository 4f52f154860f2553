"""Operational figures read from the store, and process heartbeats.

Every figure is a count or an age over pseudonymous ids (member ids are the
network's organisations): nothing here reads a personal field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from hub.store.audit_tables import audit_entries, audit_heads
from hub.store.delivery_repository import DEAD, PENDING
from hub.store.delivery_tables import deliveries
from hub.store.matching_repository import OPEN
from hub.store.matching_tables import review_items
from hub.store.ops_tables import process_heartbeats
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

