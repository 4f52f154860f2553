"""The decisions of the recovery journal inside the unit of work (hub.journal).

A decision that takes something away (a member's departure, a credential revoked, a
separation, a refusal to erase...) is appended to the journal (fsynced) before its
transaction commits, and its id is written in that transaction: a restore from a copy
taken before it replays it (the copy lacks the id), never one the copy holds.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from hub.journal import RecoveryJournal
from hub.store.ops_tables import journal_decisions


class Decisions:
    def __init__(self, connection: sa.Connection, journal: RecoveryJournal | None) -> None:
        self.conn = connection
        self._journal = journal

    def journal(self, kind: str, record: Mapping[str, Any], at: dt.datetime) -> str:
        """Journal the decision `record` (before the caller commits) and hold its id."""
        entry_id = f"dec_{secrets.token_hex(12)}"
        if self._journal is not None:  # a full key volume: 503, the caller commits nothing
            self._journal.decision(kind, entry_id, at.isoformat(), record)
        self.hold(entry_id, kind, at)
        return entry_id

    def hold(self, entry_id: str, kind: str, at: dt.datetime) -> None:
        """The decision is in this store (made here, or replayed by a restore)."""
        self.conn.execute(sa.insert(journal_decisions).values(id=entry_id, kind=kind, at=at))

    def held(self, entry_ids: Iterable[str]) -> set[str]:
        """Those of `entry_ids` the store holds (read a thousand at a time: a journal of
        years names more than SQLite binds in one statement)."""
        wanted = sorted(set(entry_ids))
        return {found for start in range(0, len(wanted), 1000)
                for found in self.conn.scalars(sa.select(journal_decisions.c.id).where(
                    journal_decisions.c.id.in_(wanted[start:start + 1000])))}
