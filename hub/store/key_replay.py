"""Bring the data keys of a restored database up to the key directory's present.

A database copy holds wrapped keys under the KEK generations of its day; erasures made
since destroyed some of those KEKs (hub.keyring). The recovery journal (hub.journal)
holds, for each later rotation, the survivors' keys wrapped under the new KEKs and the
erased fiches: replaying it gives every surviving fiche its key back and leaves every
erased one without a key, whatever the copy held. An entry is written before its
transaction commits: a rotation killed in between leaves an entry the store never made.
Once the key file is settled against the store (a `settled` line after the entry), such
an entry is told by the KEK it replaced, still kept: it is skipped (its erased fiches
were never erased); a fiche a later rotation found alive is never destroyed either.
Undecided (no `settled` line after it), an entry counts as committed: never a committed
erasure lost. But an erasure's rotation names its erasure, whose entry is written after it
and before the commit: without that entry (killed between the two, or its line torn), the
rotation never committed, whatever else is known; an entry naming no erasure (a plain
rotation, or one written by an earlier release) is judged as before. A fiche created
after a rotation never committed, under the former KEK (still kept), is moved to the
newest KEK the replay reaches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from consent.api import unwrap_key, wrap_key
from hub.journal import decode_key
from hub.keyring import BUCKETS, Keyring, bucket_of
from hub.store.erasure_tables import fiche_keys, key_buckets
from hub.store.records import FicheRef
from hub.store.tables import fiches


@dataclasses.dataclass
class KeyReplay:
    buckets_advanced: int = 0
    keys_restored: int = 0
    keys_destroyed: list[int] = dataclasses.field(default_factory=list)
    keys_unrecoverable: int = 0
    # the (bucket, generation) of every rotation entry skipped as never committed: an
    # erasure journaled with one of them never happened (hub.services.ops.recovery)
    never_committed: set[tuple[int, int]] = dataclasses.field(default_factory=set)


def replay_rotations(conn: sa.Connection, keyring: Keyring, entries: Iterable[dict[str, Any]],
                     now: dt.datetime) -> KeyReplay:
    current = {b: g for b, g in conn.execute(sa.select(key_buckets.c.bucket, key_buckets.c.generation))}
    destroyed: dict[int, set[int]] = defaultdict(set)
    latest: dict[int, tuple[int, dict[str, str]]] = {}
    oldest: dict[int, int] = {}  # each bucket's oldest KEK kept
    for bucket, generation in keyring.generations():
        oldest[bucket] = min(generation, oldest.get(bucket, generation))
    alive: set[int] = set()  # the fiches a later rotation found alive
    found: dict[int, int] = {}  # the oldest generation a later rotation found each bucket at
    settled = False  # a `settled` line after the entry
    never_committed: set[tuple[int, int]] = set()
    journal = list(entries)
    journaled = {entry.get("id") for entry in journal if entry.get("type") == "erasure"}
    for entry in reversed(journal):
        if entry.get("type") != "rotation":
            settled = settled or entry.get("type") == "settled"
            continue
        if _overtaken(entry, found) or (settled and _never_committed(entry, oldest)) or \
                _erasure_unjournaled(entry, journaled):
            never_committed.update((int(b), g) for b, g in entry["generations"].items())
        else:
            for bucket_text, generation in entry["generations"].items():
                bucket = int(bucket_text)
                if generation <= current.get(bucket, 1):
                    continue
                destroyed[bucket].update(pk for pk in entry["destroyed"]
                                         if bucket_of(pk) == bucket and pk not in alive)
                if keyring.kek(bucket, generation) is not None and \
                        generation > latest.get(bucket, (0, {}))[0]:
                    latest[bucket] = (generation, entry["keys"])
        alive.update(int(pk) for pk in entry["keys"])
        for bucket_text, generation in entry.get("from", {}).items():  # none before `from`
            found[int(bucket_text)] = min(generation, found.get(int(bucket_text), generation))
    result = KeyReplay(never_committed=never_committed)
    for bucket in sorted(set(destroyed) | set(latest)):
        _replay_bucket(conn, keyring, bucket, latest.get(bucket), destroyed[bucket], now,
                       result)
    return result


def _overtaken(entry: dict[str, Any], found: dict[int, int]) -> bool:
    """A rotation the store never made: a later one found one of its buckets at an older
    generation than the entry's (rotations are one at a time, under the keyring's lock,
    and a restore brings each bucket to its newest committed generation)."""
    return any(found.get(int(b), generation) < generation
               for b, generation in entry["generations"].items())


def _erasure_unjournaled(entry: dict[str, Any], journaled: set[Any]) -> bool:
    """An erasure's rotation without its erasure's entry: killed before writing it, so
    before the commit (its destroyed keys are never destroyed, the fiches can be erased
    again and their erasure recorded then)."""
    return "erasure" in entry and entry["erasure"] not in journaled


def _never_committed(entry: dict[str, Any], oldest: dict[int, int]) -> bool:
    """A rotation the store never made, once the key file was settled after it (every KEK
    older than its bucket's committed generation destroyed): one of its buckets still
    keeps a KEK older than the entry's. Undecided entries count as committed."""
    return any(oldest.get(int(b), generation) < generation
               for b, generation in entry["generations"].items())


def _replay_bucket(conn: sa.Connection, keyring: Keyring, bucket: int,
                   latest: tuple[int, dict[str, str]] | None, destroyed: set[int],
                   now: dt.datetime, result: KeyReplay) -> None:
    rows = conn.execute(sa.select(fiche_keys.c.fiche_pk, fiche_keys.c.wrapped_key,
                                  fiche_keys.c.generation).where(
        fiche_keys.c.wrapped_key.is_not(None), fiche_keys.c.fiche_pk % BUCKETS == bucket))
    generation, keys = latest if latest else (None, {})
    for pk, wrapped, own_generation in list(rows):
        if latest is None and pk not in destroyed:
            continue  # no newer KEK to move to: the copy's own key stays
        moved = None if pk in destroyed else (
            decode_key(keys[str(pk)]) if str(pk) in keys
            else _rewrapped(keyring, bucket, wrapped, own_generation, generation))
        if moved is None:
            conn.execute(sa.update(fiche_keys).where(fiche_keys.c.fiche_pk == pk)
                         .values(wrapped_key=None, destroyed_at=now))
            if pk in destroyed:
                result.keys_destroyed.append(pk)
            else:
                result.keys_unrecoverable += 1
            continue
        conn.execute(sa.update(fiche_keys).where(fiche_keys.c.fiche_pk == pk)
                     .values(wrapped_key=moved, generation=generation))
        result.keys_restored += 1
    if generation is not None:
        conn.execute(sa.update(key_buckets).where(key_buckets.c.bucket == bucket)
                     .values(generation=generation))
        result.buckets_advanced += 1


def _rewrapped(keyring: Keyring, bucket: int, wrapped: bytes, own_generation: int | None,
               generation: int | None) -> bytes | None:
    """A key the journal's latest entry does not hold, moved to that entry's KEK when the
    KEK it is wrapped under is still kept: a fiche created after a rotation whose entry
    was written but whose transaction never committed (killed, or the database failed),
    under the generation the store still named. None: no KEK opens it any more."""
    own = None if own_generation is None else keyring.kek(bucket, own_generation)
    target = None if generation is None else keyring.kek(bucket, generation)
    if own is None or target is None:
        return None
    return wrap_key(target, unwrap_key(own, wrapped))


def fiche_refs(conn: sa.Connection, fiche_pks: Sequence[int]) -> list[FicheRef]:
    """Each fiche's key, owner, id and porteur, in the order of `fiche_pks`."""
    query = sa.select(fiches.c.id, fiches.c.member_id, fiches.c.fiche_id, fiches.c.porteur_id) \
        .where(fiches.c.id.in_(list(fiche_pks)))
    rows = {row.id: FicheRef(*row) for row in conn.execute(query)}
    return [rows[pk] for pk in fiche_pks if pk in rows]


class KeyReplays:
    """The replay of the recovery journal over the unit of work's connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def replay_rotations(self, keyring: Keyring, entries: Iterable[dict[str, Any]],
                         now: dt.datetime) -> KeyReplay:
        return replay_rotations(self.conn, keyring, entries, now)

    def fiche_refs(self, fiche_pks: Sequence[int]) -> list[FicheRef]:
        return fiche_refs(self.conn, fiche_pks)
