"""Wrapped per-porteur data keys in the `porteur_keys` table (see consent.shredding)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from consent.model import as_utc
from consent.shredding import PorteurKeys
from consent.tables import ConsentTables, define_tables

_TABLES = define_tables(sa.MetaData())


class SqlPorteurKeys(PorteurKeys):
    def __init__(self, engine: sa.Engine, master_key: bytes,
                 tables: ConsentTables | None = None) -> None:
        super().__init__(master_key)
        self._engine = engine
        self._keys = (tables or _TABLES).porteur_keys

    def _load(self, porteur_id: str) -> tuple[bool, bytes | None]:
        query = sa.select(self._keys.c.wrapped_key).where(self._keys.c.porteur_id == porteur_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return (False, None) if row is None else (True, row.wrapped_key)

    def _create(self, porteur_id: str, wrapped: bytes, at: dt.datetime) -> bytes | None:
        try:
            with self._engine.begin() as conn:
                conn.execute(self._keys.insert().values(
                    porteur_id=porteur_id, wrapped_key=wrapped, created_at=as_utc(at)))
        except sa.exc.IntegrityError:
            return self._load(porteur_id)[1]  # created meanwhile by another process
        return wrapped

    def _destroy(self, porteur_id: str, at: dt.datetime) -> None:
        keys = self._keys
        with self._engine.begin() as conn:
            done = conn.execute(keys.update()
                                .where(keys.c.porteur_id == porteur_id,
                                       keys.c.destroyed_at.is_(None))
                                .values(wrapped_key=None, destroyed_at=as_utc(at)))
        if done.rowcount == 0 and not self._load(porteur_id)[0]:
            try:  # never had a key: leave a tombstone so that none is created later
                with self._engine.begin() as conn:
                    conn.execute(keys.insert().values(
                        porteur_id=porteur_id, wrapped_key=None, created_at=as_utc(at),
                        destroyed_at=as_utc(at)))
            except sa.exc.IntegrityError:
                self._destroy(porteur_id, at)  # a key was created meanwhile: destroy it
