"""DPO credentials (`audit_auditors`): one per member whose network entry names a DPO."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from hub.store.audit_tables import audit_auditors
from hub.store.records import Auditor, record_of


class Auditors:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, member_id: str) -> Auditor | None:
        return record_of(Auditor, self._conn.execute(
            sa.select(audit_auditors).where(audit_auditors.c.member_id == member_id)
        ).first())

    def save(self, member_id: str, scope: str, token_hash: str, public_key: str, now: datetime) -> None:
        values = {"scope": scope, "token_hash": token_hash, "public_key": public_key, "updated_at": now}
        updated = self._conn.execute(
            audit_auditors.update().where(audit_auditors.c.member_id == member_id).values(**values)
        ).rowcount
        if not updated:
            self._conn.execute(audit_auditors.insert().values(member_id=member_id, **values))

    def set_scope(self, member_id: str, scope: str, now: datetime) -> None:
        self._conn.execute(audit_auditors.update().where(audit_auditors.c.member_id == member_id)
                           .values(scope=scope, updated_at=now))

    def keep_only(self, member_ids: Iterable[str]) -> None:
        """Revoke the DPO credential of every member no longer naming a DPO."""
        self._conn.execute(audit_auditors.delete().where(audit_auditors.c.member_id.not_in(list(member_ids))))

    def revoke(self, member_id: str) -> None:
        """Revoke the DPO credential of a member (it left the network)."""
        self._conn.execute(audit_auditors.delete().where(audit_auditors.c.member_id == member_id))
