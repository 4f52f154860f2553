"""Erasure requests: who asked, for which porteur or fiche, when (never what was erased)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.store.erasure_tables import erasures, store_markers
from hub.store.records import Erasure, record_of


class Erasures:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(erasures).values(**row))

    def count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(erasures)).scalar_one())

    def get(self, erasure_id: str) -> Erasure | None:
        return record_of(Erasure, self.conn.execute(
            sa.select(erasures).where(erasures.c.id == erasure_id)).first())


class Markers:
    """Named facts about the store itself (e.g. which digest scheme the index uses)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def get(self, name: str) -> str | None:
        return self.conn.execute(sa.select(store_markers.c.value).where(
            store_markers.c.name == name)).scalar_one_or_none()

    def set(self, name: str, value: str) -> None:
        self.conn.execute(sa.delete(store_markers).where(store_markers.c.name == name))
        self.conn.execute(sa.insert(store_markers).values(name=name, value=value))
