"""Reads and writes of what the monthly meeting decides (`meeting_tables`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.store.meeting_tables import meeting_actions
from hub.store.records import MeetingAction, record_of


class MeetingActions:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def add(self, values: dict[str, Any]) -> int:
        inserted = self.conn.execute(sa.insert(meeting_actions).values(**values))
        return int(inserted.inserted_primary_key[0])  # type: ignore[index]  # one row inserted: a key

    def get(self, action_id: int) -> MeetingAction | None:
        return record_of(MeetingAction, self.conn.execute(
            sa.select(meeting_actions).where(meeting_actions.c.id == action_id)).first())

    def of_porteur(self, porteur_id: str) -> list[MeetingAction]:
        query = (sa.select(meeting_actions).where(meeting_actions.c.porteur_id == porteur_id)
                 .order_by(meeting_actions.c.id.desc()))
        return self._records(query)

    def settle(self, action_id: int, expected: str, status: str, now: dt.datetime,
               note: str | None = None) -> bool:
        """Move an action from `expected` to `status`; False when it was not `expected`
        any more (answered meanwhile)."""
        done = self.conn.execute(
            sa.update(meeting_actions)
            .where(meeting_actions.c.id == action_id, meeting_actions.c.status == expected)
            .values(status=status, answered_at=now, answer_note=note))
        return done.rowcount == 1

    def between(self, since: dt.datetime, until: dt.datetime) -> list[MeetingAction]:
        """Actions decided or answered in [since, until), oldest first."""
        query = sa.select(meeting_actions).where(sa.or_(
            sa.and_(meeting_actions.c.created_at >= since, meeting_actions.c.created_at < until),
            sa.and_(meeting_actions.c.answered_at >= since,
                    meeting_actions.c.answered_at < until))).order_by(meeting_actions.c.id)
        return self._records(query)

    def open_items(self, kinds: tuple[str, ...],
                   statuses: tuple[str, ...]) -> list[MeetingAction]:
        query = (sa.select(meeting_actions).where(meeting_actions.c.kind.in_(kinds),
                                                  meeting_actions.c.status.in_(statuses))
                 .order_by(meeting_actions.c.id))
        return self._records(query)

    def _records(self, query: sa.Select[Any]) -> list[MeetingAction]:
        return [MeetingAction(**row._mapping) for row in self.conn.execute(query)]
