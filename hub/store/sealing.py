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

from consent.api import cipher, is_sealed, new_key, seal, unseal, unwrap_key, wrap_key
from hub.errors import ConfigurationError, DataErased
from hub.keyring import BUCKETS, StoreKeys, bucket_of
from hub.store import bulk
from hub.store.erasure_tables import fiche_keys, key_buckets


def version_context(fiche_pk: int, version: int) -> str:
    return f"fiche:{fiche_pk}:v{version}"


def delivery_context(idempotency_key: str) -> str:
    return f"delivery:{idempotency_key}"


def identity_context(fiche_pk: int) -> str:
    return f"identity:{fiche_pk}"


def record_form_context(fiche_pk: int) -> str:
    return f"record-form:{fiche_pk}"


class FicheKeys:
    def __init__(self, connection: sa.Connection, keys: StoreKeys) -> None:
        self.conn = connection
        self._store_keys = keys
        self._keyring = keys.keyring
        self._keys: dict[int, bytes | None] = {}
        # Each key's cipher, built once a unit of work (a worker seals some three values
        # a fiche and opens its version); it lives as long as the keys above.
        self._ciphers: dict[bytes, Any] = {}

    def create(self, fiche_pks: Iterable[int], at: dt.datetime) -> None:
        """A fresh data key for each new fiche, wrapped by its bucket's current KEK."""
        fresh = {pk: new_key() for pk in fiche_pks}
        if not fresh:
            return
        generations = self._current({bucket_of(pk) for pk in fresh}, lock="share")
        rows = []
        for pk, key in fresh.items():
            bucket = bucket_of(pk)
            rows.append({"fiche_pk": pk, "created_at": at, "generation": generations[bucket],
                         "wrapped_key": wrap_key(self._kek(bucket, generations[bucket]), key)})
        bulk.copy_rows(self.conn, fiche_keys, rows)
        self._keys.update(fresh)

    def load(self, fiche_pks: Iterable[int]) -> dict[int, bytes | None]:
        """Unwrapped keys by fiche (None: destroyed by an erasure), in one query."""
        missing = {pk for pk in fiche_pks if pk not in self._keys}
        if missing:
            for pk, wrapped, generation in self._wrapped(missing):
                self._keys[pk] = None if wrapped is None else self._unwrap(pk, wrapped, generation)
        return self._keys

    def prime(self, fiche_pk: int, wrapped: bytes | None, generation: int | None) -> None:
        """The fiche's key from its `fiche_keys` row read with other rows (a join), so that
        `load` need not read it again; None: destroyed by an erasure, or no key."""
        if fiche_pk not in self._keys:
            self._keys[fiche_pk] = None if wrapped is None else self._unwrap(
                fiche_pk, wrapped, generation)

    def open_primed(self, fiche_pk: int, wrapped: bytes | None, generation: int | None,
                    context: str, sealed: str) -> bytes | None:
        """`prime` and `open` in one call, the clear bytes (None: erased): the way every
        candidate of a match is opened, its key read in the same row."""
        if fiche_pk in self._keys:
            key = self._keys[fiche_pk]
        else:
            key = self._keys[fiche_pk] = None if wrapped is None else self._unwrap(
                fiche_pk, wrapped, generation)
        return None if key is None else unseal(self._cipher(key), sealed, context)

    def erased(self, fiche_pks: Iterable[int]) -> set[int]:
        pks = set(fiche_pks)
        keys = self.load(pks)
        return {pk for pk in pks if pk in keys and keys[pk] is None}

    def erased_now(self, fiche_pks: Iterable[int]) -> set[int]:
        """Those of `fiche_pks` erased as the store holds them now, not as this unit of
        work loaded their keys (an erasure may have committed since): read again."""
        pks = sorted(set(fiche_pks))
        if not pks:
            return set()
        query = sa.select(fiche_keys.c.fiche_pk).where(
            bulk.among(self.conn, fiche_keys.c.fiche_pk, pks), fiche_keys.c.wrapped_key.is_(None))
        erased = {pk for (pk,) in self.conn.execute(query)}
        self._keys.update(dict.fromkeys(erased))
        return erased

    def hold(self, fiche_pks: Iterable[int]) -> set[int]:
        """Those of `fiche_pks` erased, their key rows read FOR SHARE until the commit
        (PostgreSQL; SQLite's writers take turns): an erasure (`destroy` updates the rows)
        committed before is seen here, one coming after waits for this transaction and
        then forgets what it wrote. Their buckets are shared first, in `destroy`'s order,
        so a fiche created later in this transaction (`create` shares its bucket) never
        waits for an erasure waiting for these rows (a deadlock)."""
        pks = sorted(set(fiche_pks))
        if not pks:
            return set()
        self._current({bucket_of(pk) for pk in pks}, lock="share")
        query = sa.select(fiche_keys.c.fiche_pk, fiche_keys.c.wrapped_key,
                          fiche_keys.c.generation).where(
            bulk.among(self.conn, fiche_keys.c.fiche_pk, pks)
        ).order_by(fiche_keys.c.fiche_pk).with_for_update(read=True)
        for pk, wrapped, generation in self.conn.execute(query):
            self._keys[pk] = None if wrapped is None else self._unwrap(pk, wrapped, generation)
        return {pk for pk in pks if pk in self._keys and self._keys[pk] is None}

    def destroy(self, fiche_pks: Iterable[int], at: dt.datetime, *, erasure: str) -> int:
        """Erase: forget the wrapped keys, and make every old copy of them useless by
        re-wrapping the other keys of their buckets under fresh KEKs (idempotent). Run
        within `Keyring.locked()`; after the commit, `Keyring.keep_only(generations())`
        destroys the old KEKs. The rotation's journal entry names `erasure`, whose own
        entry must follow for a restore to replay it."""
        pks = sorted(set(fiche_pks))
        if not pks:
            return 0
        buckets = sorted({bucket_of(pk) for pk in pks})
        current = self._current(buckets, lock="update")
        done = self.conn.execute(
            sa.update(fiche_keys)
            .where(fiche_keys.c.fiche_pk.in_(pks), fiche_keys.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, destroyed_at=at))
        self._keys.update(dict.fromkeys(pks))
        self._rotate(current, destroyed=pks, at=at, erasure=erasure)
        return done.rowcount

    def rotate(self, buckets: Iterable[int], at: dt.datetime) -> None:
        """Re-wrap every live key of `buckets` under fresh KEKs (a key rotation without
        erasure). Run within `Keyring.locked()`; `keep_only` destroys the old KEKs after."""
        chosen = sorted(set(buckets))
        self._rotate(self._current(chosen, lock="update"), destroyed=[], at=at)

    def rewrap_legacy(self, limit: int) -> int:
        """Re-wrap up to `limit` keys still wrapped by the former master key (resumable)."""
        query = sa.select(fiche_keys.c.fiche_pk, fiche_keys.c.wrapped_key).where(
            fiche_keys.c.generation.is_(None), fiche_keys.c.wrapped_key.is_not(None)
        ).order_by(fiche_keys.c.fiche_pk).limit(limit)
        legacy = list(self.conn.execute(query))
        if legacy:
            generations = self._current({bucket_of(pk) for pk, _w in legacy}, lock="share")
            self._write_wrapped(
                {pk: self._unwrap(pk, wrapped, None) for pk, wrapped in legacy},
                {b: (g, self._kek(b, g)) for b, g in generations.items()})
        return len(legacy)

    def generations(self) -> dict[int, int]:
        """The current KEK generation of every bucket."""
        query = sa.select(key_buckets.c.bucket, key_buckets.c.generation)
        return {bucket: generation for bucket, generation in self.conn.execute(query)}

    def _rotate(self, current: dict[int, int], *, destroyed: list[int],
                at: dt.datetime, erasure: str | None = None) -> None:
        """`current`: the generations the store names, read under lock (in the journal:
        a later rotation that found a bucket older than an entry's proves that entry never
        committed)."""
        buckets = sorted(current)
        fresh = self._keyring.add_generations(buckets)
        live = sa.select(fiche_keys.c.fiche_pk, fiche_keys.c.wrapped_key,
                         fiche_keys.c.generation).where(
            fiche_keys.c.wrapped_key.is_not(None),
            (fiche_keys.c.fiche_pk % BUCKETS).in_(buckets))
        unwrapped = {pk: self._unwrap(pk, wrapped, generation)
                     for pk, wrapped, generation in self.conn.execute(live)}
        wrapped = self._write_wrapped(unwrapped, fresh)
        if self._store_keys.journal is not None:  # before the commit: a restore replays it
            self._store_keys.journal.rotation({b: g for b, (g, _kek) in fresh.items()}, wrapped,
                                              destroyed, at.isoformat(), current, erasure)
        self.conn.execute(sa.update(key_buckets).where(key_buckets.c.bucket == sa.bindparam("b"))
                          .values(generation=sa.bindparam("g")),
                          [{"b": b, "g": g} for b, (g, _kek) in fresh.items()])

    def _write_wrapped(self, keys: dict[int, bytes],
                       keks: dict[int, tuple[int, bytes]]) -> dict[int, bytes]:
        if not keys:
            return {}
        rows: list[dict[str, Any]] = [{"pk": pk, "w": wrap_key(keks[bucket_of(pk)][1], key),
                 "g": keks[bucket_of(pk)][0]} for pk, key in keys.items()]
        self.conn.execute(sa.update(fiche_keys).where(fiche_keys.c.fiche_pk == sa.bindparam("pk"))
                          .values(wrapped_key=sa.bindparam("w"), generation=sa.bindparam("g")),
                          rows)
        return {row["pk"]: row["w"] for row in rows}

    def _current(self, buckets: Iterable[int], lock: str) -> dict[int, int]:
        """Current generations of `buckets`; on PostgreSQL a creation shares the rows and
        a rotation takes them, so no key is wrapped under a KEK being destroyed."""
        query = sa.select(key_buckets.c.bucket, key_buckets.c.generation).where(
            bulk.among(self.conn, key_buckets.c.bucket, sorted(set(buckets)))
        ).order_by(key_buckets.c.bucket)
        query = query.with_for_update(read=lock == "share")
        found = {bucket: generation for bucket, generation in self.conn.execute(query)}
        if len(found) != len(set(buckets)):
            raise _foreign_key_dir()
        return found

    def _wrapped(self, pks: Iterable[int]) -> list[Any]:
        query = sa.select(fiche_keys.c.fiche_pk, fiche_keys.c.wrapped_key,
                          fiche_keys.c.generation).where(
            bulk.among(self.conn, fiche_keys.c.fiche_pk, sorted(pks)))
        return list(self.conn.execute(query))

    def _unwrap(self, pk: int, wrapped: bytes, generation: int | None) -> bytes:
        if generation is None:
            if self._store_keys.legacy_master is None:
                raise _foreign_key_dir()
            return unwrap_key(self._store_keys.legacy_master, wrapped)
        kek = self._keyring.kek(bucket_of(pk), generation)
        if kek is None:  # rotated since this row was read (PostgreSQL): read it again
            (_pk, wrapped, generation), = self._wrapped([pk])
            if wrapped is None:
                raise DataErased("Les données de cette fiche ont été effacées (clé détruite).",
                                 "This fiche's data was erased (key destroyed).")
            kek = self._keyring.kek(bucket_of(pk), generation)
        if kek is None:
            raise _foreign_key_dir()
        return unwrap_key(kek, wrapped)

    def _kek(self, bucket: int, generation: int) -> bytes:
        kek = self._keyring.kek(bucket, generation)
        if kek is None:
            raise _foreign_key_dir()
        return kek

    def _cipher(self, key: bytes) -> Any:
        found = self._ciphers.get(key)
        if found is None:
            found = self._ciphers[key] = cipher(key)
        return found

    def seal(self, fiche_pk: int, context: str, text: str) -> str:
        key = self._keys[fiche_pk] if fiche_pk in self._keys else self.load([fiche_pk]).get(
            fiche_pk)
        if key is None:
            raise DataErased(
                "Les données de cette fiche ont été effacées (clé détruite).",
                "This fiche's data was erased (key destroyed).",
            )
        return seal(self._cipher(key), text.encode("utf-8"), context)

    def open(self, fiche_pk: int, context: str, stored: str) -> str | None:
        """The clear text, or None if the fiche was erased."""
        if not is_sealed(stored):
            return stored  # a notice: pseudonymous ids only, never sealed
        key = self._keys[fiche_pk] if fiche_pk in self._keys else self.load([fiche_pk]).get(
            fiche_pk)
        return None if key is None else unseal(self._cipher(key), stored,
                                               context).decode("utf-8")


def _foreign_key_dir() -> ConfigurationError:
    return ConfigurationError(
        "Le répertoire de clés (HUB_KEY_DIR) ne contient pas les clés de cette base : "
        "vérifiez qu'il s'agit du bon répertoire.",
        "The key directory (HUB_KEY_DIR) does not hold this database's keys: check it is "
        "the right one.")


def with_field(row: Any, field: str, value: Any) -> Any:
    """A copy of a result row with one field replaced (rows are immutable)."""
    fields = tuple(row._fields)
    return _row_type(fields)(*(value if name == field else current
                               for name, current in zip(fields, row, strict=True)))


def with_payload(row: Any, payload: str | None) -> Any:
    return with_field(row, "payload", payload)


@functools.lru_cache(maxsize=64)
def _row_type(fields: tuple[str, ...]) -> Any:
    return collections.namedtuple("SealedRow", fields)
