"""Erasure requests: who asked, for which porteur or fiche, when (never what was erased)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.store.erasure_tables import erasures


class Erasures:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(erasures).values(**row))

    def get(self, erasure_id: str) -> sa.Row | None:
        return self.conn.execute(sa.select(erasures).where(erasures.c.id == erasure_id)).first()
