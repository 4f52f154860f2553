"""The deduplication repository: blocking index, per-key locks, review queue, pair
memory, merge history and the moves of fiches between porteurs."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from hub.domain.matching.consent_end import epoch_us, has_ended
from hub.domain.matching.disclosed import SIDE_LEFT_STATUS
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.record_form import read_form, record_form
from hub.domain.matching.told_fields import explained_mask
from hub.errors import LockStripesMissing
from hub.store import bulk
from hub.store.erasure_tables import fiche_keys
from hub.store.identity_memo import IdentityMemo
from hub.store.matching_tables import (
    match_judgements,
    match_keys,
    match_records,
    merge_events,
    review_items,
)
from hub.store.records import (
    FicheHead,
    IndexedRecord,
    LabelledPair,
    MatchRecord,
    MergeEvent,
    ReviewItem,
    record_of,
)
from hub.store.sealing import FicheKeys, identity_context, record_form_context, version_context
from hub.store.tables import fiche_links, fiche_versions, fiches, porteurs

OPEN = "open"
# (fiche_pk, porteur_id, identity, key numbers, normalised record): a fiche to index.
IndexEntry = tuple[int, str, dict[str, Any], Sequence[int], NormalisedRecord]


def key_digest(digest_key: bytes, key: str) -> str:
    """The stored form of a blocking key: HMAC-SHA256 under the hub's digest key (in the
    key directory, never in the database), so that hashing a guessed name or e-mail finds
    nothing in a copy of the database; fixed length (128 bits, hex)."""
    return hmac.new(digest_key, key.encode(), hashlib.sha256).hexdigest()[:32]


# The key locks are row locks on `match_lock_stripes` (migration 0034), one row a stripe:
# they live in the rows, not in the server's shared lock table, which advisory locks (one a
# stripe, ~20 a fiche, held to the commit) filled with four workers. Taken in sorted order
# (no deadlock between two waiting transactions); the count tells a missing row. A stripe's
# row is written the first time a process meets it without (`_ensure_stripes`).
_LOCK_SORTED = sa.text(
    "SELECT count(*) FROM (SELECT n FROM match_lock_stripes "
    "WHERE n = ANY(CAST(:numbers AS integer[])) ORDER BY n FOR UPDATE) AS locked")

# The shared keys in shared mode, in one sorted pass with the others (each mode its own
# sub-select: a statement locks all its rows in one mode).
_LOCK_SORTED_SHARING = sa.text(
    "SELECT count(CASE WHEN s THEN (SELECT 1 FROM match_lock_stripes AS l "
    "WHERE l.n = k.n FOR SHARE) ELSE (SELECT 1 FROM match_lock_stripes AS l "
    "WHERE l.n = k.n FOR UPDATE) END) FROM (SELECT n, s FROM "
    "unnest(CAST(:numbers AS integer[]), CAST(:shared AS boolean[])) AS k(n, s) "
    "ORDER BY n) AS k")

# A fiche re-indexed by a worker while the index is rebuilt: its rows are kept as written.
_INSERT_NEW_KEYS = sa.text(
    "INSERT INTO match_keys (key, fiche_pk) "
    "SELECT * FROM unnest(CAST(:keys AS bigint[]), CAST(:pks AS bigint[])) "
    "ON CONFLICT DO NOTHING")
# Answers the keys refused (some other transaction holds them), not those taken: nearly
# always none, where the keys taken were some 1,800 rows a transaction to send and read.
# A stripe without its row is refused too (never taken unlocked).
_TRY_LOCK = sa.text(
    "SELECT k.n FROM unnest(CAST(:numbers AS integer[])) AS k(n) WHERE NOT EXISTS "
    "(SELECT FROM match_lock_stripes AS l WHERE l.n = k.n FOR UPDATE SKIP LOCKED) "
    "UNION ALL SELECT k.n FROM unnest(CAST(:shared AS integer[])) AS k(n) WHERE NOT EXISTS "
    "(SELECT FROM match_lock_stripes AS l WHERE l.n = k.n FOR SHARE SKIP LOCKED)")


# In ascending order: two processes writing the same new stripes never wait for each other
# in a cycle. A row there already is left as it is, unread.
_NEW_STRIPES = sa.text(
    "INSERT INTO match_lock_stripes (n) SELECT n FROM unnest(CAST(:numbers AS integer[])) "
    "AS k(n) ORDER BY n ON CONFLICT DO NOTHING")
# The same, answering the rows it wrote (the repair of rows gone: `Matching.lock_keys`);
# not at every write: some 1,900 rows to send and read a transaction of a young table.
_NEW_STRIPES_WRITTEN = sa.text(_NEW_STRIPES.text + " RETURNING n")
# Per database (engine), the stripes this process has seen a row of: a bit a stripe
# (HUB_MATCH_LOCK_STRIPES is at most 2**20: 128 KiB).
_STRIPES_SEEN: weakref.WeakKeyDictionary[sa.Engine, bytearray] = weakref.WeakKeyDictionary()


def key_number(digest: str) -> int:
    """A key digest as the index stores it and locks it: its first 64 bits, signed (a
    bigint; migration 0028). Two keys of one batch sharing them (one chance in some 10^16)
    would only bring each other's fiches as candidates, which scoring then compares.
    `Matching.digest` gives the number straight from the key."""
    return int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)


_SHA256_BLOCK = 64


def _hmac_pads(digest_key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer hash states with the key's pads already hashed
    (RFC 2104: HMAC(K, m) = H(K ^ opad || H(K ^ ipad || m)))."""
    if len(digest_key) > _SHA256_BLOCK:
        digest_key = hashlib.sha256(digest_key).digest()
    padded = digest_key.ljust(_SHA256_BLOCK, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in padded)),
            hashlib.sha256(bytes(b ^ 0x5C for b in padded)))


# The candidate reads are sent on the driver's cursor (`bulk.driver_rows`): compiling a
# select of some sixty bound values and building its rows cost more than SQLite's reading
# them (60 fiches at 100k: 1.44 ms through a select, 0.79 ms as driver SQL through
# SQLAlchemy, 0.55 ms on the driver's cursor).
@functools.lru_cache(maxsize=64)
def _candidate_keys_sql(count: int) -> str:
    """SQLite: for `count` key digests, each one's position and its fiches (at most `cap`)
    as one text, comma-separated (one row a key rather than one a fiche: at a million
    fiches some 320 rows a match, four keys over the cap bringing 51 each; one statement,
    built once per count; parameters: each digest followed by the cap). A key under no
    fiche gives a NULL."""
    return " UNION ALL ".join(f"SELECT {i}, group_concat(fiche_pk) FROM (SELECT fiche_pk "
                              f"FROM match_keys WHERE key = ? LIMIT ?) AS k{i}"
                              for i in range(count))


# PostgreSQL: one row per key held by some fiche, its fiches as an array (not one row per
# fiche: at some fifty fiches under a common key, fetching rows one by one cost more than
# the query). Parameters: the digests as an array, the cap.
_LATERAL_KEYS_SQL = (
    "SELECT k.key, m.pks FROM unnest(CAST(%s AS bigint[])) AS k(key) "
    "CROSS JOIN LATERAL (SELECT array_agg(fiche_pk) AS pks FROM (SELECT fiche_pk "
    "FROM match_keys WHERE match_keys.key = k.key LIMIT %s) AS under_key) AS m "
    "WHERE m.pks IS NOT NULL")
# Candidates as stored, with their fiche's wrapped key (one statement, not a second one
# for the keys): the sealed record form, or where a row has none (indexed before 0024)
# its identity as stored (JSON text; decoding the JSON column of every row cost more),
# and when its consent ends (a row past it is left out before it is opened).
_STORED_RECORDS_SQL = (
    "SELECT r.fiche_pk, r.porteur_id, r.record_form, CASE WHEN r.record_form IS NULL "
    "THEN CAST(r.identity AS TEXT) END AS identity, k.wrapped_key, k.generation, "
    "r.consent_end_us FROM match_records AS r LEFT OUTER JOIN fiche_keys AS k ON k.fiche_pk = r.fiche_pk ")


# PostgreSQL: the keys' fiches (as `_LATERAL_KEYS_SQL`) and the stored candidates under
# the keys within the cap (as `_STORED_RECORDS_SQL`) in one statement, one round trip: a
# key's row has no fiche_pk, a candidate's no key. Parameters: the digests as an array,
# the cap + 1 (a key's fiches read at most), the cap.
_KEYS_AND_RECORDS_SQL = (
    f"WITH under AS ({_LATERAL_KEYS_SQL}) "
    "SELECT key, pks, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM under UNION ALL "
    "SELECT NULL, NULL," + _STORED_RECORDS_SQL.removeprefix("SELECT")
    + "WHERE r.fiche_pk = ANY(ARRAY(SELECT DISTINCT unnest(pks) FROM under "
    "WHERE cardinality(pks) <= %s))")


# PostgreSQL, an online match: the stored candidates alone, under the keys within the cap
# (the keys' own rows serve a batch, which learns the keys over the cap: a match would
# receive and decode some sixteen rows of arrays of up to fifty fiches for nothing).
# Parameters: the digests as an array, the cap + 1, the cap.
_CANDIDATE_RECORDS_SQL = (
    f"WITH under AS ({_LATERAL_KEYS_SQL}) " + _STORED_RECORDS_SQL
    + "WHERE r.fiche_pk = ANY(ARRAY(SELECT DISTINCT unnest(pks) FROM under "
    "WHERE cardinality(pks) <= %s))")


@functools.lru_cache(maxsize=64)
def _stored_records_sql(count: int) -> str:
    """SQLite: the stored candidates of `count` fiches."""
    return _STORED_RECORDS_SQL + f"WHERE r.fiche_pk IN ({','.join('?' * count)})"


# `_STORED_RECORDS_SQL` in SQLAlchemy's terms, for the rarer reads off the hot path.
_STORED_RECORDS = sa.select(
    match_records.c.fiche_pk, match_records.c.porteur_id, match_records.c.record_form,
    sa.case((match_records.c.record_form.is_(None), sa.cast(match_records.c.identity, sa.Text))),
    fiche_keys.c.wrapped_key, fiche_keys.c.generation, match_records.c.consent_end_us,
).select_from(match_records.outerjoin(fiche_keys, fiche_keys.c.fiche_pk == match_records.c.fiche_pk))
_STORED_IDENTITIES = sa.select(match_records.c.fiche_pk, match_records.c.identity)
_UNION_CHUNK = 200
_IN_CHUNK = 5000
# Items a side leaving the index closes: open ones, and those set aside or judged
# different, which the console could otherwise reopen against a fiche gone.
_LEFT_BEHIND = (OPEN, "unknown", "different")
APART: dict[str, Any] = {"a_part": True}  # a link's evidence: resolved apart, not indexed
# A matcher's link's evidence: the fiches of the porteur it was closest to (the link's pairs).
FICHE_MATCHED = "fiches_proches"


def _by_fiche(record: IndexedRecord) -> int:
    return record.fiche_pk


def _opened(values: Mapping[str, Any]) -> dict[str, Any]:
    """A review item's row as it opens, with the fields its explanation compares."""
    return {**values, "status": OPEN,
            "explained_fields": explained_mask(values["explanation"])}


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class Matching:
    """The index keeps each fiche's identity and its normalised record (compact form)
    sealed with the fiche's data key (so an erasure shreds them too) and its blocking
    keys as digests."""

    def __init__(self, connection: sa.Connection, keys: FicheKeys, digest_key: bytes,
                 memo: IdentityMemo | None = None) -> None:
        self.conn = connection
        self.keys = keys
        self._digest_key = digest_key
        self._inner, self._outer = _hmac_pads(digest_key)
        self._memo = memo if memo is not None else IdentityMemo(0)

    def digest(self, key: str) -> int:
        """The stored form of a blocking key: `key_number(key_digest(key))`, the first 64
        bits of its keyed HMAC-SHA256, signed, as the index stores and locks it. Computed
        from the pads hashed once (some twenty keys a fiche: copying two hash states cost
        less than half of copying a keyed `hmac` object, and no hex text is made to be
        read back as a number)."""
        inner = self._inner.copy()
        inner.update(key.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return int.from_bytes(outer.digest()[:8], "big", signed=True)

    def _opened(self, rows: list[sa.Row]) -> list[MatchRecord]:
        """Rows with their identity opened; rows of erased fiches are left out."""
        self.keys.load(row.fiche_pk for row in rows)
        opened = []
        for row in rows:
            text = self.keys.open(row.fiche_pk, identity_context(row.fiche_pk), row.identity)
            if text is not None:
                opened.append(MatchRecord(row.fiche_pk, row.porteur_id, orjson.loads(text),
                                          row.indexed_at))
        return opened

    # --- blocking index -----------------------------------------------------------------
    def lock_keys(self, numbers: Iterable[int], shared: Iterable[int] = ()) -> None:
        """PostgreSQL: lock the stripes (rows of `match_lock_stripes`) in sorted order (no
        deadlock), waiting for the transactions that hold them, until the commit; the
        `shared` stripes in shared mode (a stripe in both is exclusive). Row locks: the
        server's lock table holds none of them, however many the transaction takes.
        SQLite needs none: BEGIN IMMEDIATE already serialises writers."""
        if self.conn.dialect.name != "postgresql":
            return
        exclusive = set(numbers)
        sharing = set(shared) - exclusive
        self._ensure_stripes(exclusive | sharing)
        if self._lock_sorted(exclusive, sharing) == len(exclusive | sharing):
            return
        # Fewer rows than stripes: rows this process had seen are gone (a downgrade below
        # 0034 and an upgrade, a restore, a manual change). The bitmap is cleared, the
        # missing rows written in a transaction of their own (committed: the next statement,
        # read committed, sees them) and those stripes locked now. They are taken after the others
        # the statement above locked, not in one sorted pass: two transactions repairing at
        # once may each hold a stripe the other waits for. PostgreSQL finds such a cycle
        # (deadlock_timeout), aborts one with 40P01, an outage the batch's retry takes
        # again; the rows are all there by then, so the retry locks in sorted order.
        _STRIPES_SEEN.pop(self.conn.engine, None)
        missing = self._ensure_stripes(exclusive | sharing, written=True)
        again = self._lock_sorted(exclusive.intersection(missing), sharing.intersection(missing))
        if again != len(missing):
            _STRIPES_SEEN.pop(self.conn.engine, None)
            raise LockStripesMissing(
                "match_lock_stripes lost rows as soon as this worker wrote them (a restore or "
                "a manual change while it ran?): the batch is retried and writes them again")

    def _lock_sorted(self, exclusive: set[int], sharing: set[int]) -> int:
        """Lock `exclusive` and `sharing` (none of them in both) in one sorted pass; the
        count of stripes locked (a stripe without its row is not)."""
        if not sharing:  # one round trip for the whole batch, still taken in sorted order
            if not exclusive:
                return 0
            return self.conn.execute(
                _LOCK_SORTED, {"numbers": bulk.text_array(sorted(exclusive))}).scalar() or 0
        numbers = sorted(exclusive | sharing)
        return self.conn.execute(_LOCK_SORTED_SHARING, {
            "numbers": bulk.text_array(numbers),
            "shared": "{" + ",".join("t" if n in sharing else "f" for n in numbers) + "}"}
        ).scalar() or 0

    def _ensure_stripes(self, numbers: Iterable[int], *, written: bool = False) -> list[int]:
        """Write the rows of the stripes this process has not seen yet and the table lacks
        (the table starts empty: a copy of the store, a test database, stays small), in a
        transaction of their own, committed at once: the locks then find every row, and
        the worker's transaction, holding locks already, waits for no one's insert. The
        writer is a second connection of the engine's pool while the transaction holds one:
        kept so (a task of a prefork worker takes at most two of the pool's 15); threads
        sharing one pool beyond 7 could all wait for their second one until the pool's
        timeout (StoreTimeout, the batch retried), as docs/deploy.md says. With `written`,
        returns the stripes whose rows it wrote (else [])."""
        seen = _STRIPES_SEEN.setdefault(self.conn.engine, bytearray(1 << 17))
        unseen = sorted(n for n in numbers if not seen[n >> 3] & (1 << (n & 7)))
        if not unseen:
            return []
        # Written without asking first which rows are there: the table fills over some
        # hundred thousand fiches, so a stripe a process has not seen nearly always lacks
        # its row, and the insert's own check finds the others.
        with self.conn.engine.begin() as writer:
            result = writer.execute(_NEW_STRIPES_WRITTEN if written else _NEW_STRIPES,
                                    {"numbers": bulk.text_array(unseen)})
            missing = list(result.scalars()) if written else []
        for n in unseen:
            seen[n >> 3] |= 1 << (n & 7)
        return missing

    def try_lock_keys(self, numbers: Iterable[int], shared: Iterable[int] = ()) -> set[int]:
        """Take, without waiting, the locks of the keys no other transaction holds; returns
        the keys locked (SQLite: all of them, its writers are serialised already). The
        `shared` keys are locked in shared mode: transactions holding one in shared mode
        do not exclude each other, only one holding it alone (a key in both is exclusive)."""
        wanted, sharing = set(numbers), set(shared)
        if self.conn.dialect.name != "postgresql" or not wanted | sharing:
            return wanted | sharing
        self._ensure_stripes(wanted | sharing)
        refused = set(self.conn.execute(_TRY_LOCK, {
            "numbers": bulk.text_array(sorted(wanted)),
            "shared": bulk.text_array(sorted(sharing - wanted))}
        ).scalars())
        return (wanted | sharing) - refused

    def savepoint(self) -> sa.NestedTransaction | None:
        """A savepoint whose rollback gives back the key locks taken since (PostgreSQL: row
        locks taken after a savepoint are released when it is rolled back);
        None on SQLite, which takes no key lock."""
        return self.conn.begin_nested() if self.conn.dialect.name == "postgresql" else None

    def candidates(self, digests: Sequence[int], per_key_cap: int, *,
                   in_force_at: dt.datetime | None = None) -> list[IndexedRecord]:
        """Indexed records sharing a key; a key held by more than `per_key_cap` fiches says
        too little (a common name with no date) and is skipped, as the batch skips it.
        With `in_force_at`, a fiche whose consent has ended by then is left out (it still
        counts under its keys). Ordered by fiche."""
        if self.conn.dialect.name == "postgresql":
            numbers = list(dict.fromkeys(digests))
            rows = bulk.driver_rows(self.conn, _CANDIDATE_RECORDS_SQL, (
                bulk.text_array(numbers), per_key_cap + 1, per_key_cap)) if numbers else []
            return sorted(self._records_of(rows, in_force_at), key=_by_fiche)
        held, records = self.indexed_under(digests, per_key_cap, in_force_at=in_force_at)
        wanted = {pk for pks in held.values() if len(pks) <= per_key_cap for pk in pks}
        return [records[pk] for pk in sorted(wanted) if pk in records]

    def indexed_under(self, digests: Iterable[int], per_key_cap: int, *,
                      in_force_at: dt.datetime | None = None
                      ) -> tuple[dict[int, list[int]], dict[int, IndexedRecord]]:
        """For a whole batch's key digests, in two statements: the fiches under each key
        that holds some (at most `per_key_cap + 1`: one more says the key is too common;
        a key under no fiche is left out, as most of a batch's keys are) and the
        normalised records of the fiches under keys within the cap (erased fiches left
        out, and with `in_force_at` those whose consent has ended by then)."""
        unique = list(dict.fromkeys(digests))
        held: dict[int, list[int]] = {}
        if self.conn.dialect.name == "postgresql":
            rows = self._keys_and_records(unique, per_key_cap, held)
        else:
            held.update(self._fiches_under(unique, per_key_cap + 1))
            wanted = sorted({pk for pks in held.values() if len(pks) <= per_key_cap
                             for pk in pks})
            rows = []
            for chunk in _chunks(wanted, _IN_CHUNK):
                rows.extend(bulk.driver_rows(
                    self.conn, _stored_records_sql(len(chunk)), tuple(chunk)))
        return held, {record.fiche_pk: record
                      for record in self._records_of(rows, in_force_at)}

    def _keys_and_records(self, digests: list[int], per_key_cap: int,
                          held: dict[int, list[int]]) -> list[Any]:
        """PostgreSQL, one statement: `held` filled with each key's fiches (at most
        `per_key_cap + 1`), and the stored rows of the fiches under keys within the cap."""
        if not digests:
            return []
        rows = []
        for key, pks, *stored in bulk.driver_rows(
                self.conn, _KEYS_AND_RECORDS_SQL,
                (bulk.text_array(digests), per_key_cap + 1, per_key_cap)):
            if key is None:
                rows.append(stored)
            else:
                held[key] = pks
        return rows

    def _records_of(self, rows: list[Any], in_force_at: dt.datetime | None = None
                    ) -> list[IndexedRecord]:
        """The normalised records of stored rows: read from their sealed form, or (a row
        indexed before forms existed, or whose form another normalisation wrote)
        normalised from its identity. The process's memo answers the sealed texts read
        before (the same sealed text always opens to the same record; see
        `IdentityMemo`); erased fiches are left out, and with `in_force_at` those whose
        consent has ended by then (`consent_end_us`, to the microsecond), unopened."""
        found, stale, opened = [], {}, []
        recall, open_form = self._memo.get, self.keys.open_primed  # some eighty rows a match
        at = epoch_us(in_force_at) if in_force_at is not None else None
        for pk, porteur_id, form, identity, wrapped_key, generation, ends in rows:
            if at is not None and has_ended(ends, at):
                continue  # the consent has ended: no candidate, before the sweep says so
            sealed = form or identity
            record = recall(sealed)
            if record is None:
                if form is None:
                    self.keys.prime(pk, wrapped_key, generation)
                    record = self._normalised(pk, orjson.loads(identity))
                else:
                    clear = open_form(pk, wrapped_key, generation, record_form_context(pk), form)
                    if clear is None:
                        continue
                    record = read_form(clear)
                    if record is None:
                        stale[pk] = porteur_id
                        continue
                if record is None:
                    continue
                opened.append((sealed, record))
            found.append(IndexedRecord(pk, porteur_id, record))
        self._memo.put_many(opened)  # once a match: one lock taken, not one a row
        return found + self._records_from_identities(stale)

    def _records_from_identities(self, porteurs: dict[int, str]) -> list[IndexedRecord]:
        """Fiches (fiche_pk -> porteur) whose stored form is of another normalisation,
        normalised from their identities (until `replace_forms` rewrites them)."""
        found = []
        for chunk in _chunks(sorted(porteurs), _IN_CHUNK):
            for pk, identity in self.conn.execute(_STORED_IDENTITIES.where(
                    match_records.c.fiche_pk.in_(chunk))).all():
                record = self._normalised(pk, identity)
                if record is not None:
                    found.append(IndexedRecord(pk, porteurs[pk], record))
        return found

    def _normalised(self, fiche_pk: int, sealed_identity: str) -> NormalisedRecord | None:
        clear = self.keys.open(fiche_pk, identity_context(fiche_pk), sealed_identity)
        return None if clear is None else normalise_record(orjson.loads(clear))

    def _fiches_under(self, digests: list[int], limit: int) -> dict[int, list[int]]:
        """SQLite: the fiches under each key (at most `limit`; keys under none left out)."""
        found: dict[int, list[int]] = {}
        for chunk in _chunks(digests, _UNION_CHUNK):  # SQLite caps compound selects at 500
            params = tuple(value for digest in chunk for value in (digest, limit))
            for position, pks in bulk.driver_rows(self.conn, _candidate_keys_sql(len(chunk)),
                                                  params):
                if pks is not None:
                    found[chunk[position]] = [int(pk) for pk in pks.split(",")]
        return found

    def index(self, fiche_pk: int, porteur_id: str, identity: dict[str, Any],
              digests: Sequence[int], record: NormalisedRecord, now: dt.datetime, *,
              fresh: bool = False, consent_ends: Mapping[int, int | None] | None = None
              ) -> None:
        """(Re)index one fiche under its keys (`fresh`: never indexed before)."""
        if not fresh:
            self.conn.execute(sa.delete(match_keys).where(match_keys.c.fiche_pk == fiche_pk))
            self.conn.execute(sa.delete(match_records).where(
                match_records.c.fiche_pk == fiche_pk))
        self.index_fresh([(fiche_pk, porteur_id, identity, digests, record)], now,
                         consent_ends=consent_ends)

    def index_fresh(self, entries: Sequence[IndexEntry], now: dt.datetime, *,
                    consent_ends: Mapping[int, int | None] | None = None) -> None:
        """Index fiches never indexed before, (fiche_pk, porteur_id, identity, digests,
        normalised record) each, with one insert per table; `consent_ends`: when each
        one's cited consent ends (microseconds since the epoch; absent: not known)."""
        if not entries:
            return
        ends = consent_ends or {}
        self.keys.load(pk for pk, *_rest in entries)
        rows = []
        for pk, porteur_id, identity, _d, record in entries:
            clear = orjson.dumps(identity).decode("utf-8")
            form = self.keys.seal(pk, record_form_context(pk), record_form(record))
            self._memo.put(form, record)  # keyed by the sealed form, as it is read back
            rows.append({"fiche_pk": pk, "porteur_id": porteur_id, "indexed_at": now,
                         "identity": self.keys.seal(pk, identity_context(pk), clear),
                         "record_form": form, "consent_end_us": ends.get(pk)})
        bulk.copy_rows(self.conn, match_records, rows)
        self._insert_keys([(d, pk) for pk, _p, _i, digests, _r in entries
                           for d in dict.fromkeys(digests)])

    def _insert_keys(self, pairs: list[tuple[int, int]], *, skip_existing: bool = False
                     ) -> None:
        """(key number, fiche_pk) rows; on PostgreSQL one COPY (some twenty keys a fiche),
        or with `skip_existing` (rows already there, written meanwhile by another
        transaction, are left alone) one insert over two arrays."""
        if not pairs:
            return
        # Two keys of a fiche sharing their first 64 bits are one row (see `key_number`).
        rows = list(dict.fromkeys(pairs))
        if self.conn.dialect.name != "postgresql":
            insert = sa.insert(match_keys).prefix_with("OR IGNORE") if skip_existing \
                else sa.insert(match_keys)
            self.conn.execute(insert, [{"key": k, "fiche_pk": pk} for k, pk in rows])
        elif skip_existing:
            self.conn.execute(_INSERT_NEW_KEYS, {"keys": bulk.text_array(k for k, _pk in rows),
                                                 "pks": bulk.text_array(pk for _k, pk in rows)})
        else:  # COPY: the server writes a page of rows at a time (one WAL record a page,
            # not one a row), 15 % less of its CPU than an insert over two arrays
            bulk.copy_tuples(self.conn, match_keys, ("key", "fiche_pk"), rows)

    def records_after(self, after: int, limit: int
                      ) -> tuple[int | None, list[tuple[int, dict[str, Any]]]]:
        """The next `limit` indexed fiches after `after` (the last one read, or None when
        none was left), with their opened identities."""
        query = sa.select(match_records).where(
            match_records.c.fiche_pk > after).order_by(match_records.c.fiche_pk).limit(limit)
        rows = list(self.conn.execute(query))
        last = rows[-1].fiche_pk if rows else None
        return last, [(row.fiche_pk, row.identity) for row in self._opened(rows)]

    def replace_digests(self, digests: dict[int, Sequence[int]]) -> None:
        """New blocking digests for indexed fiches (a change of digest key, scheme or
        blocking rules)."""
        for chunk in _chunks(sorted(digests), _IN_CHUNK):
            self.conn.execute(sa.delete(match_keys).where(match_keys.c.fiche_pk.in_(chunk)))
        self._insert_keys([(d, pk) for pk, found in digests.items() for d in found],
                          skip_existing=True)

    def replace_forms(self, records: dict[int, NormalisedRecord]) -> None:
        """New record forms for indexed fiches (a change of normalisation), sealed as
        `index_fresh` seals them."""
        if not records:
            return
        self.keys.load(records)
        self.conn.execute(
            sa.update(match_records).where(match_records.c.fiche_pk == sa.bindparam("pk"))
            .values(record_form=sa.bindparam("form")),
            [{"pk": pk, "form": self.keys.seal(pk, record_form_context(pk), record_form(record))}
             for pk, record in sorted(records.items())])

    def set_consent_end(self, fiche_pk: int, consent_end_us: int | None) -> None:
        """A fiche re-indexed as it was (its identity unchanged) under a version citing
        another consent: when that one ends."""
        self.conn.execute(sa.update(match_records).where(match_records.c.fiche_pk == fiche_pk)
                          .values(consent_end_us=consent_end_us))

    def identity_of(self, fiche_pk: int) -> dict[str, Any] | None:
        query = sa.select(match_records).where(match_records.c.fiche_pk == fiche_pk)
        found = self._opened(list(self.conn.execute(query)))
        return found[0].identity if found else None

    def forget(self, fiche_pks: Sequence[int], now: dt.datetime) -> None:
        """An erasure: the fiches leave the index, and their open review items close as
        `SIDE_LEFT_STATUS`, as for a withdrawal (the reason is not told)."""
        self._leave_index(list(fiche_pks), now, SIDE_LEFT_STATUS)

    def withdraw(self, fiche_pks: Sequence[int], now: dt.datetime) -> None:
        """A consent withdrawn or expired: the fiches are no longer matching candidates
        (they leave the index; the fiches themselves stay their member's), and their open
        review items close as `SIDE_LEFT_STATUS` (nobody who may not see a side can decide
        it), as for an erasure (the reason is not told)."""
        self._leave_index(list(fiche_pks), now, SIDE_LEFT_STATUS)

    def _leave_index(self, pks: list[int], now: dt.datetime, status: str) -> None:
        self.conn.execute(sa.delete(match_keys).where(match_keys.c.fiche_pk.in_(pks)))
        self.conn.execute(sa.delete(match_records).where(match_records.c.fiche_pk.in_(pks)))
        self.conn.execute(
            sa.update(review_items)
            .where(review_items.c.status.in_(_LEFT_BEHIND),
                   review_items.c.fiche_pk.in_(pks) | review_items.c.candidate_fiche_pk.in_(pks))
            .values(status=status, decided_by="-", decided_at=now))

    def fiches_of(self, porteur_ids: Iterable[str]) -> dict[str, list[int]]:
        """Indexed fiches per porteur (the index is written as each fiche is resolved)."""
        found: dict[str, list[int]] = {pid: [] for pid in porteur_ids}
        query = sa.select(match_records.c.porteur_id, match_records.c.fiche_pk).where(
            match_records.c.porteur_id.in_(list(found))).order_by(match_records.c.fiche_pk)
        for porteur_id, fiche_pk in self.conn.execute(query):
            found[porteur_id].append(fiche_pk)
        return found

    def records_of_porteurs(self, porteur_ids: Iterable[str]) -> list[IndexedRecord]:
        """Every indexed fiche of these porteurs, normalised (erased ones left out): what
        joining them must weigh, not only the fiches a match read under its keys."""
        pks = sorted(pk for held in self.fiches_of(porteur_ids).values() for pk in held)
        rows: list[Any] = []
        for chunk in _chunks(pks, _IN_CHUNK):
            rows.extend(tuple(row) for row in self.conn.execute(
                _STORED_RECORDS.where(match_records.c.fiche_pk.in_(chunk))))
        return self._records_of(rows)

    def records_of_fiches(self, fiche_pks: Iterable[int]) -> dict[int, IndexedRecord]:
        """These fiches' indexed records, normalised, by primary key (those not in the
        index left out)."""
        rows: list[Any] = []
        for chunk in _chunks(sorted(set(fiche_pks)), _IN_CHUNK):
            rows.extend(tuple(row) for row in self.conn.execute(
                _STORED_RECORDS.where(match_records.c.fiche_pk.in_(chunk))))
        return {record.fiche_pk: record for record in self._records_of(rows)}

    def members_of(self, fiche_pks: Iterable[int]) -> dict[int, str]:
        """The member of each fiche, by primary key: whose fiches a chain join would keep
        together (`chains.may_be_one`)."""
        pks = sorted(set(fiche_pks))
        found: dict[int, str] = {}
        for chunk in _chunks(pks, _IN_CHUNK):
            found.update((pk, member) for pk, member in self.conn.execute(
                sa.select(fiches.c.id, fiches.c.member_id).where(fiches.c.id.in_(chunk))))
        return found

    def fiche_heads(self, fiche_pks: Iterable[int]) -> dict[int, FicheHead]:
        """Owner, reference, porteur and current payload of fiches, by primary key (read
        in chunks: a large review queue's fiches pass one statement's bound on parameters)."""
        query = (sa.select(fiches.c.id, fiches.c.member_id, fiches.c.fiche_id,
                           fiches.c.current_version, fiches.c.porteur_id, fiche_versions.c.payload)
                 .join(fiche_versions, (fiche_versions.c.fiche_pk == fiches.c.id)
                       & (fiche_versions.c.version == fiches.c.current_version)))
        rows = [row for chunk in _chunks(sorted(set(fiche_pks)), _IN_CHUNK)
                for row in self.conn.execute(query.where(fiches.c.id.in_(chunk)))]
        self.keys.load(row.id for row in rows)
        return {row.id: FicheHead(*row[:-1], self.keys.open(
            row.id, version_context(row.id, row.current_version), row.payload)) for row in rows}

    # --- review queue and pair memory ---------------------------------------------------
    def open_review(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(sa.insert(review_items).values(**_opened(values))
                                   .returning(review_items.c.id))
        return result.scalar_one()

    def open_reviews(self, rows: Sequence[dict[str, Any]]) -> None:
        """Open many review items with one insert."""
        if rows:
            self.conn.execute(sa.insert(review_items), [_opened(row) for row in rows])

    def judged_different_from(self, fiche_pks: Iterable[int]) -> dict[int, set[int]]:
        """For each of these fiches, the fiches it was judged different from."""
        pks = sorted(set(fiche_pks))
        found: dict[int, set[int]] = defaultdict(set)
        j = match_judgements.c
        for chunk in _chunks(pks, _IN_CHUNK):
            query = sa.select(j.fiche_a, j.fiche_b).where(
                j.decision == "different", j.fiche_a.in_(chunk) | j.fiche_b.in_(chunk))
            for a, b in self.conn.execute(query):
                found[a].add(b)
                found[b].add(a)
        return found

    def open_items_of(self, fiche_pk: int) -> list[int]:
        """The open review items a fiche was put in, oldest first."""
        query = sa.select(review_items.c.id).where(
            review_items.c.status == OPEN, review_items.c.fiche_pk == fiche_pk)
        return list(self.conn.scalars(query.order_by(review_items.c.id)))

    def open_items_between(self, porteur_a: str, porteur_b: str) -> int:
        pair = (review_items.c.porteur_id.in_([porteur_a, porteur_b])
                & review_items.c.candidate_porteur_id.in_([porteur_a, porteur_b]))
        query = sa.select(sa.func.count()).select_from(review_items).where(
            review_items.c.status == OPEN, pair)
        return self.conn.execute(query).scalar_one()

    def review_items(self, status: str, limit: int, after: int | None) -> list[ReviewItem]:
        query = sa.select(review_items).where(review_items.c.status == status)
        if after is not None:
            query = query.where(review_items.c.id > after)
        return [ReviewItem(**row._mapping)
                for row in self.conn.execute(query.order_by(review_items.c.id).limit(limit))]

    def all_reviews(self, status: str) -> list[ReviewItem]:
        """Every item in `status`, by number (the console's pages of the queue are read
        sorted as their reader is told them: `ReviewQueue.page`)."""
        query = sa.select(review_items).where(review_items.c.status == status)
        result = self.conn.execute(query.order_by(review_items.c.id))
        names = list(result.keys())  # once: a row's mapping builds them again each time
        return [ReviewItem(**dict(zip(names, row, strict=True))) for row in result]

    def reviews_by_id(self, item_ids: Iterable[int]) -> list[ReviewItem]:
        query = sa.select(review_items).where(review_items.c.id.in_(sorted(set(item_ids))))
        return [ReviewItem(**row._mapping)
                for row in self.conn.execute(query.order_by(review_items.c.id))]

    def review_item(self, item_id: int) -> ReviewItem | None:
        return record_of(ReviewItem, self.conn.execute(
            sa.select(review_items).where(review_items.c.id == item_id)).first())

    def close_review(self, item_id: int, status: str, actor: str, now: dt.datetime,
                     revision: int | None = None, *, left_too: bool = False) -> bool:
        """Close an open item; False when it was closed meanwhile (decided twice), or, with
        `revision`, scored again since that revision. `left_too`: an item closed as a side
        left (`SIDE_LEFT_STATUS`) is closed so too (a restore's replayed decision)."""
        statuses = (OPEN, SIDE_LEFT_STATUS) if left_too else (OPEN,)
        query = sa.update(review_items).where(review_items.c.id == item_id,
                                              review_items.c.status.in_(statuses))
        if revision is not None:
            query = query.where(review_items.c.revision == revision)
        result = self.conn.execute(query.values(status=status, decided_by=actor, decided_at=now))
        return result.rowcount == 1

    def same_pairs_within(self, fiche_pks: Iterable[int]) -> list[tuple[int, int]]:
        """The pairs decided `same` (by a coordinator or a chain join) whose two fiches are
        both among `fiche_pks` (a porteur's: the fiches each merge joined it on)."""
        pks = sorted(set(fiche_pks))
        query = sa.select(review_items.c.fiche_pk, review_items.c.candidate_fiche_pk).where(
            review_items.c.status == "same", review_items.c.fiche_pk.in_(pks),
            review_items.c.candidate_fiche_pk.in_(pks))
        return [(int(a), int(b)) for a, b in self.conn.execute(query)]

    def open_items_touching(self, fiche_pk: int) -> list[ReviewItem]:
        """The open items a fiche is a side of (either side), by number."""
        query = sa.select(review_items).where(
            review_items.c.status == OPEN, (review_items.c.fiche_pk == fiche_pk)
            | (review_items.c.candidate_fiche_pk == fiche_pk))
        return [ReviewItem(**row._mapping)
                for row in self.conn.execute(query.order_by(review_items.c.id))]

    def rescore_review(self, item_id: int, probability: float, explanation: dict[str, Any],
                       closed: str | None, now: dt.datetime) -> None:
        """An open item scored again on a new version of a side: its new evidence, or closed
        as `closed` (no longer a candidate); one revision more either way."""
        values: dict[str, Any] = {"probability": probability, "explanation": explanation,
                                  "explained_fields": explained_mask(explanation),
                                  "revision": review_items.c.revision + 1}
        if closed is not None:
            values.update(status=closed, decided_by="-", decided_at=now)
        self.conn.execute(sa.update(review_items).where(
            review_items.c.id == item_id, review_items.c.status == OPEN).values(**values))

    def undo_same(self, item_id: int, porteurs: tuple[str, str], actor: str,
                  now: dt.datetime) -> None:
        """A pair decided `same` whose merge was undone: judged different now, by `actor`,
        between the porteurs (of its fiche, of its candidate) that hold the two fiches."""
        self.conn.execute(
            sa.update(review_items).where(review_items.c.id == item_id,
                                          review_items.c.status == "same")
            .values(status="different", decided_by=actor, decided_at=now,
                    porteur_id=porteurs[0], candidate_porteur_id=porteurs[1]))

    def judge(self, pairs: Iterable[tuple[int, int]], decision: str, item_id: int | None,
              actor: str, now: dt.datetime) -> None:
        """Remember a judgement on fiche pairs (the latest judgement of a pair wins)."""
        rows = [{"fiche_a": min(a, b), "fiche_b": max(a, b), "decision": decision,
                 "review_item_id": item_id, "decided_by": actor, "decided_at": now}
                for a, b in pairs if a != b]
        for row in rows:
            self.conn.execute(sa.delete(match_judgements).where(
                match_judgements.c.fiche_a == row["fiche_a"],
                match_judgements.c.fiche_b == row["fiche_b"]))
        if rows:
            self.conn.execute(sa.insert(match_judgements), rows)

    def judged_different(self, fiches_a: Sequence[int], fiches_b: Sequence[int]) -> bool:
        if not fiches_a or not fiches_b:
            return False
        j = match_judgements.c
        cross = (j.fiche_a.in_(fiches_a) & j.fiche_b.in_(fiches_b)) | (
            j.fiche_a.in_(fiches_b) & j.fiche_b.in_(fiches_a))
        query = sa.select(sa.func.count()).select_from(match_judgements).where(
            j.decision == "different", cross)
        return self.conn.execute(query).scalar_one() > 0

    def labelled_pairs(self) -> list[LabelledPair]:
        """Judged pairs with both identities: the training data of `retrain_from_decisions`."""
        a, b = match_records.alias("a"), match_records.alias("b")
        query = (sa.select(match_judgements.c.decision, a.c.fiche_pk.label("left_pk"),
                           a.c.identity.label("left"), b.c.fiche_pk.label("right_pk"),
                           b.c.identity.label("right"))
                 .join(a, a.c.fiche_pk == match_judgements.c.fiche_a)
                 .join(b, b.c.fiche_pk == match_judgements.c.fiche_b))
        rows = list(self.conn.execute(query))
        self.keys.load(pk for row in rows for pk in (row.left_pk, row.right_pk))
        pairs = []
        for row in rows:
            left = self.keys.open(row.left_pk, identity_context(row.left_pk), row.left)
            right = self.keys.open(row.right_pk, identity_context(row.right_pk), row.right)
            if left is not None and right is not None:  # an erased side teaches nothing
                pairs.append(LabelledPair(row.decision, row.left_pk, orjson.loads(left),
                                          row.right_pk, orjson.loads(right)))
        return pairs

    # --- merges -------------------------------------------------------------------------
    def move_fiches(self, fiche_pks: Sequence[int], to_porteur: str, method: str,
                    evidence: dict[str, Any], now: dt.datetime,
                    from_porteur: str | None = None) -> int:
        """Re-attach fiches to a porteur: fiche, index and open items follow; links keep
        their history (the old link is closed, a new one opened). With `from_porteur`,
        only fiches still held by it move (another transaction may have moved them since
        they were read: its update waited for theirs); answers how many fiches moved."""
        pks = list(fiche_pks)
        held = fiches.c.porteur_id == from_porteur if from_porteur is not None else sa.true()
        moved = self.conn.execute(sa.update(fiches).where(fiches.c.id.in_(pks), held)
                                  .values(porteur_id=to_porteur)).rowcount
        if moved != len(pks):
            return moved  # the caller refuses the move: its transaction is rolled back
        self.conn.execute(sa.update(match_records).where(match_records.c.fiche_pk.in_(pks))
                          .values(porteur_id=to_porteur))
        self.conn.execute(sa.update(fiche_links).where(
            fiche_links.c.fiche_pk.in_(pks), fiche_links.c.unlinked_at.is_(None))
            .values(unlinked_at=now))
        self.conn.execute(sa.insert(fiche_links), [
            {"fiche_pk": pk, "porteur_id": to_porteur, "method": method, "evidence": evidence,
             "linked_at": now} for pk in pks])
        self._items_follow(pks, to_porteur)
        return moved

    def _items_follow(self, pks: Sequence[int], to_porteur: str) -> None:
        """The open items of moved fiches name the porteur that holds them now; those now
        inside one porteur are obsolete."""
        for fiche, porteur in ((review_items.c.fiche_pk, review_items.c.porteur_id),
                               (review_items.c.candidate_fiche_pk,
                                review_items.c.candidate_porteur_id)):
            self.conn.execute(sa.update(review_items).where(
                review_items.c.status == OPEN, fiche.in_(pks)).values({porteur.name: to_porteur}))
        self.conn.execute(sa.update(review_items).where(
            review_items.c.status == OPEN,
            review_items.c.fiche_pk.in_(pks) | review_items.c.candidate_fiche_pk.in_(pks),
            review_items.c.porteur_id == review_items.c.candidate_porteur_id)
            .values(status="obsolete"))

    def apart_unindexed(self, fiche_pks: Iterable[int]) -> set[int]:
        """Of these fiches, those still on the porteur of their own a consent ended before
        processing gave them (`APART`) and never indexed since."""
        pks = sorted(set(fiche_pks))
        if not pks:
            return set()
        query = sa.select(fiche_links.c.fiche_pk, fiche_links.c.evidence).where(
            fiche_links.c.fiche_pk.in_(pks), fiche_links.c.unlinked_at.is_(None),
            fiche_links.c.method == "new",
            ~fiche_links.c.fiche_pk.in_(sa.select(match_records.c.fiche_pk)
                                        .where(match_records.c.fiche_pk.in_(pks))))
        return {pk for pk, evidence in self.conn.execute(query) if evidence == APART}

    def unlink(self, fiche_pks: Sequence[int], now: dt.datetime) -> None:
        """Close the fiches' current links (they are linked again as new ones)."""
        if fiche_pks:
            self.conn.execute(sa.update(fiche_links).where(
                fiche_links.c.fiche_pk.in_(list(fiche_pks)), fiche_links.c.unlinked_at.is_(None))
                .values(unlinked_at=now))

    def matched_fiches(self, fiche_pks: Iterable[int]) -> tuple[dict[int, set[int]], set[int]]:
        """The fiches the matcher linked each of these on (`FICHE_MATCHED` of its `auto`
        links, past or present), and those with an `auto` link made before that was
        recorded."""
        pks = sorted(set(fiche_pks))
        matched: dict[int, set[int]] = {}
        unrecorded: set[int] = set()
        for chunk in _chunks(pks, _IN_CHUNK):
            for pk, evidence in self.conn.execute(sa.select(
                    fiche_links.c.fiche_pk, fiche_links.c.evidence).where(
                    fiche_links.c.fiche_pk.in_(chunk), fiche_links.c.method == "auto")):
                others = evidence.get(FICHE_MATCHED) if isinstance(evidence, dict) else None
                if isinstance(others, list):
                    matched.setdefault(pk, set()).update(int(other) for other in others)
                else:
                    unrecorded.add(pk)
        return matched, unrecorded

    def link_method(self, fiche_pk: int) -> str | None:
        """How the fiche's current link was made (`auto`, `new`, `review`, `unmerge`...)."""
        return self.conn.execute(sa.select(fiche_links.c.method).where(
            fiche_links.c.fiche_pk == fiche_pk, fiche_links.c.unlinked_at.is_(None))
            .order_by(fiche_links.c.id.desc()).limit(1)).scalar_one_or_none()

    def rename_in_open_items(self, old: str, new: str) -> None:
        """Open items follow a merged porteur; those now inside one porteur are obsolete."""
        for column in (review_items.c.porteur_id, review_items.c.candidate_porteur_id):
            self.conn.execute(sa.update(review_items).where(
                review_items.c.status == OPEN, column == old).values({column.name: new}))
        self.conn.execute(sa.update(review_items).where(
            review_items.c.status == OPEN,
            review_items.c.porteur_id == review_items.c.candidate_porteur_id)
            .values(status="obsolete"))

    def set_status(self, porteur_id: str, status: str) -> None:
        self.conn.execute(sa.update(porteurs).where(porteurs.c.id == porteur_id)
                          .values(status=status))

    def porteur_status(self, porteur_id: str) -> str | None:
        return self.conn.execute(sa.select(porteurs.c.status).where(
            porteurs.c.id == porteur_id)).scalar_one_or_none()

    def add_merge_event(self, values: dict[str, Any]) -> int:
        return self.conn.execute(sa.insert(merge_events).values(**values)
                                 .returning(merge_events.c.id)).scalar_one()

    def link_history(self, porteur_id: str, fiche_pks: Sequence[int], limit: int
                     ) -> list[tuple[int, str, str, str, dt.datetime, dt.datetime | None]]:
        """(fiche pk, member, fiche id, porteur, linked at, unlinked at) of every link,
        past or present, of the fiches `fiche_pks` and of the fiches `porteur_id` ever
        held: which porteur held which fiche when (merges and splits move fiches); the
        newest first, the oldest left out past `limit`."""
        ever = sa.select(fiche_links.c.fiche_pk).where(fiche_links.c.porteur_id == porteur_id)
        query = (sa.select(fiche_links.c.fiche_pk, fiches.c.member_id, fiches.c.fiche_id,
                           fiche_links.c.porteur_id, fiche_links.c.linked_at,
                           fiche_links.c.unlinked_at)
                 .join(fiches, fiches.c.id == fiche_links.c.fiche_pk)
                 .where(sa.or_(fiche_links.c.fiche_pk.in_(list(fiche_pks)),
                               fiche_links.c.fiche_pk.in_(ever)))
                 .order_by(fiche_links.c.id.desc()).limit(limit))
        return [tuple(row) for row in self.conn.execute(query)]

    def merge_history(self, porteur_id: str | None, limit: int,
                      offset: int = 0) -> list[MergeEvent]:
        """Merges and unmerges (of `porteur_id` on either side, if given), newest first,
        `limit` from `offset`."""
        query = sa.select(merge_events)
        if porteur_id is not None:
            query = query.where((merge_events.c.porteur_id == porteur_id)
                                | (merge_events.c.other_porteur_id == porteur_id))
        query = query.order_by(merge_events.c.id.desc()).limit(limit).offset(offset)
        return [MergeEvent(**row._mapping) for row in self.conn.execute(query)]

    def all_merge_events(self) -> list[MergeEvent]:
        """Every merge and unmerge, newest first (the history as a reader is told it is
        paged after the gate: `duplicates.merge_history_page`)."""
        query = sa.select(merge_events).order_by(merge_events.c.id.desc())
        return [MergeEvent(**row._mapping) for row in self.conn.execute(query)]

    def counts(self) -> dict[str, int]:
        links = sa.select(fiche_links.c.method, sa.func.count()).group_by(fiche_links.c.method)
        items = sa.select(review_items.c.status, sa.func.count()).group_by(review_items.c.status)
        found = {f"links_{m}": n for m, n in self.conn.execute(links)}
        found.update({f"review_{s}": n for s, n in self.conn.execute(items)})
        return found
