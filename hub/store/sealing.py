"""Fiche data keys inside the unit of work: create, seal, open, destroy.

Every fiche version and every delivery that discloses fields of a fiche is sealed
with that fiche's data key (see consent.shredding). Keys are unwrapped once per
unit of work; an erased fiche has a NULL key, so its sealed copies open to None.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from consent.shredding import is_sealed, new_key, seal, unseal, unwrap_key, wrap_key
from hub.errors import DataErased
from hub.store.erasure_tables import fiche_keys


def version_context(fiche_pk: int, version: int) -> str:
    return f"fiche:{fiche_pk}:v{version}"


def delivery_context(idempotency_key: str) -> str:
    return f"delivery:{idempotency_key}"


def identity_context(fiche_pk: int) -> str:
    return f"identity:{fiche_pk}"


class FicheKeys:
    def __init__(self, connection: sa.Connection, master_key: bytes) -> None:
        self.conn = connection
        self._master_key = master_key
        self._keys: dict[int, bytes | None] = {}

    def create(self, fiche_pks: Iterable[int], at: dt.datetime) -> None:
        """A fresh data key for each new fiche."""
        fresh = {pk: new_key() for pk in fiche_pks}
        if fresh:
            self.conn.execute(sa.insert(fiche_keys), [
                {"fiche_pk": pk, "wrapped_key": wrap_key(self._master_key, key), "created_at": at}
                for pk, key in fresh.items()])
            self._keys.update(fresh)

    def load(self, fiche_pks: Iterable[int]) -> dict[int, bytes | None]:
        """Unwrapped keys by fiche (None: destroyed by an erasure), in one query."""
        missing = {pk for pk in fiche_pks if pk not in self._keys}
        if missing:
            query = sa.select(fiche_keys.c.fiche_pk, fiche_keys.c.wrapped_key).where(
                fiche_keys.c.fiche_pk.in_(missing))
            for pk, wrapped in self.conn.execute(query):
                self._keys[pk] = None if wrapped is None else unwrap_key(self._master_key, wrapped)
        return self._keys

    def erased(self, fiche_pks: Iterable[int]) -> set[int]:
        pks = set(fiche_pks)
        keys = self.load(pks)
        return {pk for pk in pks if pk in keys and keys[pk] is None}

    def destroy(self, fiche_pks: Iterable[int], at: dt.datetime) -> int:
        """Erase: forget the wrapped keys for good (idempotent)."""
        pks = sorted(set(fiche_pks))
        if not pks:
            return 0
        done = self.conn.execute(
            sa.update(fiche_keys)
            .where(fiche_keys.c.fiche_pk.in_(pks), fiche_keys.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, destroyed_at=at))
        self._keys.update(dict.fromkeys(pks))
        return done.rowcount

    def seal(self, fiche_pk: int, context: str, text: str) -> str:
        key = self.load([fiche_pk]).get(fiche_pk)
        if key is None:
            raise DataErased(
                "Les données de cette fiche ont été effacées (clé détruite).",
                "This fiche's data was erased (key destroyed).",
            )
        return seal(key, text.encode("utf-8"), context)

    def open(self, fiche_pk: int, context: str, stored: str) -> str | None:
        """The clear text, or None if the fiche was erased."""
        if not is_sealed(stored):
            return stored  # a notice: pseudonymous ids only, never sealed
        key = self.load([fiche_pk]).get(fiche_pk)
        return None if key is None else unseal(key, stored, context).decode("utf-8")


def with_field(row: Any, field: str, value: Any) -> Any:
    """A copy of a result row with one field replaced (rows are immutable)."""
    fields = tuple(row._fields)
    return _row_type(fields)(*(value if name == field else current
                               for name, current in zip(fields, row, strict=True)))


def with_payload(row: Any, payload: str | None) -> Any:
    return with_field(row, "payload", payload)


@functools.lru_cache(maxsize=64)
def _row_type(fields: tuple[str, ...]) -> Any:
    return collections.namedtuple("SealedRow", fields)  # type: ignore[misc]
