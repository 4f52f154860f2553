"""The append-only access log: batched appends, signed tree heads, proofs, export, search.

Entries are the source of truth; the in-memory Merkle tree is rebuilt from their stored
leaf hashes at first use and caught up before every head or proof, so several processes
may append to the same log. Appends take one transaction per batch and a log-wide lock
(BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL) to give contiguous seqs.
A crash between appending and publishing loses nothing: the next head covers every
stored entry. The hub refuses to sign a head over a store that no longer matches its
last signed head (`AuditIntegrityError`).
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit import export as records
from hub.audit.events import AccessEvent
from hub.audit.heads import (
    Cosignature,
    HeadSigner,
    SignedTreeHead,
    verify_cosignature,
    verify_head,
)
from hub.audit.kept_head import ArchiveBound, KeptHead
from hub.audit.merkle import MerkleTree
from hub.audit.rows import (
    HASHED_COLUMNS,
    as_utc,
    content_leaf,
    insert_statement,
    numbered,
    prepare,
    row_document,
    row_event,
    stored_leaf,
)
from hub.audit.sink import AuditSink
from hub.errors import AuditIntegrityError, BadRequest, NotFound
from hub.private_files import open_private
from hub.store.audit_tables import (
    audit_archived_leaves,
    audit_cosignatures,
    audit_entries,
    audit_heads,
)
from hub.store.engine import reader_engine
from hub.store.uow import at_commit

_PG_LOCK_KEY = 0x6361706163746966  # "capactif": one advisory lock for the whole log
_PAGE = 5_000
_NO_IDLE_LIMIT = sa.text("SELECT set_config('idle_in_transaction_session_timeout', '0', true)")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EventMark(NamedTuple):
    """What `marks` reads of an event."""

    seq: int
    at: datetime
    fiche_refs: tuple[str, ...]


class AuditLog(AuditSink):
    """Builds with no connection: the tree is read from the store at the first head,
    proof, export or refresh (an append before that is read with the rest)."""

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], datetime] = _utc_now,
                 kept_head: KeptHead | None = None,
                 head_keys: Callable[[], Mapping[str, Ed25519PublicKey]] | None = None,
                 lock_idle_s: float = 0.0) -> None:
        self.engine = engine
        # PostgreSQL: how long a session holding the log's lock to append may sit idle
        # before the server ends it (0: no limit); see `_insert`
        self._lock_idle_ms = round(lock_idle_s * 1000)
        self.kept_head = kept_head  # None: no head kept outside the store (benchmarks only)
        self._head_keys = head_keys  # the hub's signing keys by id (None: heads not verified)
        self._engine = engine
        self._reader = reader_engine(engine)
        self._clock = clock
        self._tree = MerkleTree()
        self._next_seq = 0  # one past the last stored seq read into the tree
        self._tree_lock = threading.Lock()
        self._modified: set[int] = set()  # seqs whose stored content no longer gives their leaf
        self._gap = False  # a stored seq did not follow on from the one before

    @property
    def size(self) -> int:
        """Entries read into this process's tree so far (`refresh` catches up with the store)."""
        return self._tree.size

    def append_many(self, events: Sequence[AccessEvent]) -> list[AccessEvent]:
        if not events:
            return []
        events = [event.salted() for event in events]
        prepared = [prepare(event, self._engine.dialect.name) for event in events]  # unlocked
        with self._engine.begin() as conn:
            first, leaves = _insert(conn, prepared, self._lock_idle_ms)
        stamped = [event.with_seq(first + i) for i, event in enumerate(events)]
        with self._tree_lock:
            if self._next_seq == first:
                self._tree.extend(leaves)
                self._next_seq = first + len(leaves)
        return stamped

    def append_within(self, conn: sa.Connection, events: Sequence[AccessEvent]) -> None:
        """Append `events` inside the caller's transaction, so they commit (or not) with
        the business change they record; the tree catches up before the next head. In a
        unit of work they are inserted just before its commit: the log's single lock is
        held from then to the commit only, never while the rest of the work is done
        (outside one, from the insert on, with no limit on the session's idling)."""
        if events:
            prepared = [prepare(event.salted(), conn.dialect.name) for event in events]
            if not at_commit(conn, functools.partial(_insert, conn, prepared,
                                                     self._lock_idle_ms)):
                _insert(conn, prepared)

    def publish_head(self, signer: HeadSigner, *, force: bool = False) -> SignedTreeHead:
        """Sign the tree over every stored entry; without `force`, an unchanged size
        returns the latest head instead of signing a new one. The stored log must extend
        the head kept outside the store (`KeptHead`), which the new head then replaces."""
        kept_head, bound = self._read_kept()
        self.refresh()  # the bulk read before the lock: under it, only what came since
        with self._engine.begin() as conn:
            lock_log(conn)
            self._catch_up(conn)
            latest = _latest_head(conn)
            archived, in_place = _archive_range(conn, bound)
            sound = in_place and self._verifies(latest)
            kept = self._kept(conn, kept_head, latest, adopt=archived if sound else None)
            with self._tree_lock:
                self._check_matches(latest, kept, sound)
                if latest is not None and latest.size == self._tree.size and not force:
                    return latest
                now_ms = int(self._clock().timestamp() * 1000)
                timestamp = max(now_ms, latest.timestamp_ms if latest else 0)
                head = signer.sign(self._tree.size, self._tree.root(), timestamp)
            conn.execute(audit_heads.insert().values(
                tree_size=head.size, root_hash=head.root_hash, timestamp_ms=head.timestamp_ms,
                key_id=head.key_id, signature=head.signature,
            ))
        # kept once stored: a head kept is always one the store holds (a crash between
        # the two leaves the kept head behind the store's, never ahead of it)
        if self.kept_head is not None:
            self.kept_head.advance(head, archived)
        return head

    def take_back_kept_head(self, reason: str) -> SignedTreeHead | None:
        """The operator's act of a restore: the store's latest head (that of the copy)
        becomes the kept head, the one it replaces recorded beside it. The copy must
        still give its own latest head's root."""
        with self._engine.begin() as conn:
            lock_log(conn)
            self._catch_up(conn)
            latest = _latest_head(conn)
            archived, in_place = _archive_range(conn, None)
            with self._tree_lock:
                self._check_matches(latest, None, in_place and self._verifies(latest))
            if self.kept_head is not None:
                self.kept_head.replace(latest, reason, archived)
        return latest

    def latest_head(self) -> SignedTreeHead | None:
        """The latest stored head, once its signature verifies with the hub's keys."""
        with self._engine.connect() as conn:
            head = _latest_head(conn)
        if not self._verifies(head):
            raise AuditIntegrityError(
                "La dernière tête stockée ne se vérifie pas avec les clés du hub : elle n'est "
                "pas servie ; l'exploitant exporte et vérifie le journal.",
                "The latest stored head does not verify with the hub's keys: it is not "
                "served; the operator exports and verifies the log.")
        return head

    def latest_trusted_head(self) -> SignedTreeHead | None:
        """The latest stored head whose signature verifies (an export past a forged one)."""
        return next((head for head in reversed(self.heads()) if self._verifies(head)), None)

    def heads(self) -> list[SignedTreeHead]:
        """Every published head with its countersignatures, in publication order."""
        with self._engine.connect() as conn:
            return read_heads(conn)

    def signed_sizes(self, sizes: Iterable[int]) -> frozenset[int]:
        """Those of `sizes` a stored head was signed at."""
        wanted = sorted(set(sizes))
        if not wanted:
            return frozenset()
        with self._engine.connect() as conn:
            return frozenset(conn.scalars(sa.select(audit_heads.c.tree_size).distinct().where(
                audit_heads.c.tree_size.in_(wanted))))

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """Audit path of entry `seq` in the tree of `size` entries (default: all)."""
        self.refresh()
        with self._tree_lock:
            size = self._tree.size if size is None else size
            if not 0 <= seq < size <= self._tree.size:
                raise NotFound(
                    "Aucune entrée de ce numéro dans un arbre de cette taille.",
                    "No entry with this seq in a tree of this size.",
                )
            return self._tree.inclusion_proof(seq, size)

    def consistency_proof(
        self, old_size: int, new_size: int | None = None, *, refresh: bool = True
    ) -> list[bytes]:
        """Proof that the tree of `old_size` entries is a prefix of the one of `new_size`;
        `refresh=False` inside a log transaction (SQLite: a second connection would wait)."""
        if refresh:
            self.refresh()
        with self._tree_lock:
            new_size = self._tree.size if new_size is None else new_size
            if not 0 <= old_size <= new_size <= self._tree.size:
                raise BadRequest(
                    "Tailles d'arbre invalides : il faut 0 ≤ ancienne ≤ nouvelle ≤ taille du "
                    "journal.",
                    "Invalid tree sizes: 0 ≤ old ≤ new ≤ log size is required.",
                )
            return self._tree.consistency_proof(old_size, new_size)

    def add_cosignature(
        self, head: SignedTreeHead, cosignature: Cosignature, witness_key: Ed25519PublicKey
    ) -> None:
        """Store a witness's countersignature after checking it against the witness key."""
        if not verify_cosignature(head, cosignature, witness_key):
            raise BadRequest(
                "La contre-signature ne se vérifie pas avec la clé du témoin.",
                "The countersignature does not verify with the witness key.",
            )
        with self._engine.begin() as conn:
            head_id = conn.scalar(sa.select(audit_heads.c.id).where(
                audit_heads.c.tree_size == head.size,
                audit_heads.c.timestamp_ms == head.timestamp_ms,
                audit_heads.c.signature == head.signature,
            ))
            if head_id is None:
                raise NotFound("Tête d'arbre inconnue.", "Unknown tree head.")
            conn.execute(audit_cosignatures.insert().values(
                head_id=head_id, witness=cosignature.witness, key_id=cosignature.key_id,
                signature=cosignature.signature,
            ))

    def search(
        self,
        *,
        porteur_ref: str | None = None,
        member: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
        after: int = -1,
        user: str | None = None,
        newest_first: bool = False,
        offset: int = 0,
        upto: int | None = None,
    ) -> list[AccessEvent]:
        """Events matching every given criterion (`user`: the console account), oldest
        first (or `newest_first`); `until` is exclusive; `after` pages by seq (pass the
        last seq of the previous page), `offset` skips that many events; `upto`: none
        past that seq (paging newest first, the events logged since the first page left
        out: each page view is an event)."""
        table = audit_entries.c
        criteria = self._criteria(porteur_ref, member, action, since, until, user)
        if after >= 0:
            criteria.append(table.seq > after)
        if upto is not None:
            criteria.append(table.seq <= upto)
        query = (
            sa.select(audit_entries).where(*criteria)
            .order_by(table.seq.desc() if newest_first else table.seq)
            .limit(limit).offset(offset)
        )
        with self._reader.connect() as conn:  # never waits for the write lock (SQLite)
            return self._events(conn.execute(query))

    def marks(self, *, porteur_ref: str, limit: int, member: str | None = None,
              action: str | None = None, since: datetime | None = None,
              until: datetime | None = None, user: str | None = None,
              upto: int | None = None) -> list[EventMark]:
        """`search`'s newest `limit` events under `porteur_ref` (none past `upto`), oldest
        first, as their seq, time and fiche pseudonyms only: what telling whose data an
        event is about needs, without reading and checking whole events (`by_seqs` reads
        the ones shown)."""
        table = audit_entries.c
        criteria = self._criteria(porteur_ref, member, action, since, until, user)
        if upto is not None:
            criteria.append(table.seq <= upto)
        query = (sa.select(table.seq, table.at, table.fiche_refs).where(*criteria)
                 .order_by(table.seq.desc()).limit(limit))
        with self._reader.connect() as conn:
            return [EventMark(row.seq, as_utc(row.at), tuple(row.fiche_refs))
                    for row in conn.execute(query)][::-1]

    def by_seqs(self, seqs: Sequence[int]) -> list[AccessEvent]:
        """The events numbered `seqs` (a page of them), oldest first."""
        if not seqs:
            return []
        query = (sa.select(audit_entries).where(audit_entries.c.seq.in_(sorted(set(seqs))))
                 .order_by(audit_entries.c.seq))
        with self._reader.connect() as conn:
            return self._events(conn.execute(query))

    def _events(self, rows: Iterable[Any]) -> list[AccessEvent]:
        """The events of `rows`, each one's content hashed again: one that no longer
        gives its leaf (the one this process holds in its tree, else its stored column:
        a leaf rewritten with its content gives its own column) is marked, and the log
        then fails its checks (`matches_signed_head`)."""
        found = []
        for row in rows:
            leaf = content_leaf(row)
            with self._tree_lock:
                held = self._tree.leaf(row.seq) if row.seq < self._tree.size else None
                if leaf != (bytes(row.leaf_hash) if held is None else held):
                    self._modified.add(row.seq)
            found.append(row_event(row))
        return found

    def count(self, *, porteur_ref: str | None = None, member: str | None = None,
              action: str | None = None, since: datetime | None = None,
              until: datetime | None = None, user: str | None = None,
              upto: int | None = None) -> int:
        """How many events `search` would find with no limit."""
        criteria = self._criteria(porteur_ref, member, action, since, until, user)
        if upto is not None:
            criteria.append(audit_entries.c.seq <= upto)
        query = sa.select(sa.func.count()).select_from(audit_entries).where(*criteria)
        with self._reader.connect() as conn:
            return int(conn.scalar(query) or 0)

    @staticmethod
    def _criteria(porteur_ref: str | None, member: str | None, action: str | None,
                  since: datetime | None, until: datetime | None,
                  user: str | None) -> list[Any]:
        table = audit_entries.c
        criteria = [
            table.porteur_ref == porteur_ref if porteur_ref is not None else None,
            table.actor_member == member if member is not None else None,
            table.action == action if action is not None else None,
            table.at >= as_utc(since) if since is not None else None,
            table.at < as_utc(until) if until is not None else None,
            table.actor_user == user if user is not None else None,
        ]
        return [c for c in criteria if c is not None]

    def export(self, target: str | Path | IO[str], size: int | None = None, *,
               warning: dict[str, Any] | None = None) -> int:
        """Write the log as JSONL for `capactif audit verify`, its first `size` entries
        (all by default) and the heads up to that size; returns the line count. Give the
        size of a head just signed: entries past the last head of an export are refused
        by the verifier (an event could be rewritten there with its leaf hash). A
        `warning` goes in the meta line (the verifier shows it)."""
        if isinstance(target, str | Path):
            with open_private(target) as stream:
                return self.export(stream, size, warning=warning)
        self.refresh()
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One transaction reads the whole log while the target takes it: a slow
                # target (a pipe read slowly, ssh) leaves it idle between two reads, which
                # the sessions' idle limit would end (HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S)
                conn.execute(_NO_IDLE_LIMIT)
            return records.write_records(self._export_records(conn, size, warning), target)

    def matches_signed_head(self) -> bool:
        """Whether the stored entries still give the last signed head's root, extend the
        head kept outside the store, and hash to their leaves (entries this process read
        earlier are not read again: a restart, or `recheck`, reads them all)."""
        kept_head, bound = self._read_kept()
        with self._engine.connect() as conn:
            self._catch_up(conn)
            latest = _latest_head(conn)
            in_place = _archive_range(conn, bound)[1]
            kept = self._kept(conn, kept_head, latest, adopt=None)
        with self._tree_lock:
            return in_place and self._verifies(latest) and self._matches(latest, kept)

    def recheck(self) -> None:
        """Hash again the content of every stored entry this process read earlier (an
        export does: an entry rewritten under a running process is seen by it)."""
        with self._engine.connect() as conn:
            after, end = archived_size(conn) - 1, self._next_seq
            while after < end - 1:
                page: Sequence[Any] = conn.execute(sa.select(*_HASHED).where(
                    audit_entries.c.seq > after, audit_entries.c.seq < end)
                    .order_by(audit_entries.c.seq).limit(_PAGE)).all()
                if not page:
                    break
                with self._tree_lock:
                    for values in page:
                        seq, leaf = values[0], bytes(values[1])
                        if leaf != self._tree.leaf(seq):
                            self._modified.add(seq)
                        elif stored_leaf(tuple(values)) != leaf:
                            self._check_row(conn, seq, leaf)
                after = page[-1][0]
            self._catch_up(conn)

    def refresh(self) -> None:
        """Catch up with entries appended by other processes."""
        with self._engine.connect() as conn:
            self._catch_up(conn)

    def frontier(self, size: int) -> list[bytes]:
        """The compact range of the first `size` entries (what an archive record holds)."""
        with self._tree_lock:
            return self._tree.frontier(size)

    def _export_records(self, conn: sa.Connection, size: int | None,
                        warning: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
        archived = archived_size(conn)
        end = self._tree.size if size is None else min(size, self._tree.size)
        yield records.meta_record(archived, end, **({"warning": warning} if warning else {}))
        if archived:
            yield records.archive_record(archived, self.frontier(archived))
        for row in entry_rows(conn, archived, end):
            yield records.stored_entry_record(row.seq, bytes(row.leaf_hash), row_document(row))
        heads = [head for head in read_heads(conn) if head.size <= end]
        yield from (records.head_record(head) for head in heads)
        sizes = sorted({head.size for head in heads})
        with self._tree_lock:
            proofs = [(old, new, self._tree.consistency_proof(old, new))
                      for old, new in itertools.pairwise(sizes)]
        yield from (records.consistency_record(*proof) for proof in proofs)

    def _catch_up(self, conn: sa.Connection) -> None:
        """Read the entries stored since, hashing each one's content again: an entry
        rewritten with its leaf kept is seen at a restart (archived leaves have no
        content here: their segments are signed and chained). The seqs must follow on
        with no gap nor repeat, else the log fails its checks (read on all the same, so
        that an export shows the verifier where)."""
        # The lower bound is read under the tree lock: an append of this process moving
        # it in between had its rows read into the tree a second time (a false gap).
        with self._tree_lock:
            for live_row, *values in conn.execute(_entries_from(self._next_seq)):
                seq, leaf = values[0], bytes(values[1])
                if seq != self._next_seq:
                    self._gap = True
                if live_row and stored_leaf(tuple(values)) != leaf:
                    self._check_row(conn, seq, leaf)
                self._tree.append(leaf)
                self._next_seq = seq + 1

    def _verifies(self, head: SignedTreeHead | None) -> bool:
        """Whether `head` is signed by one of the hub's keys: the store alone can hold a
        forged head (a later time, a size to serve), trusted for nothing then."""
        if head is None or self._head_keys is None:
            return True
        key = self._head_keys().get(head.key_id)
        return key is not None and verify_head(head, key)

    def _read_kept(self) -> tuple[SignedTreeHead | None, ArchiveBound | None]:
        return (None, None) if self.kept_head is None else self.kept_head.read_both()

    def _check_row(self, conn: sa.Connection, seq: int, leaf: bytes) -> None:
        """The slow, exact check of a row the fast one doubts."""
        row = conn.execute(sa.select(audit_entries).where(audit_entries.c.seq == seq)).first()
        if row is not None and content_leaf(row) != leaf:
            self._modified.add(seq)

    def _kept(self, conn: sa.Connection, kept: SignedTreeHead | None,
              latest: SignedTreeHead | None, *, adopt: int | None) -> _Kept | None:
        """The head kept outside the store (`kept`, read before the store: a head is kept
        once committed, so the store read after holds it and its entries) and whether the
        store still holds it; a store with heads and none kept yet (signed by an earlier
        release) has its latest head adopted once, with the store's retention boundary
        `adopt` (when signing), if the store still gives its root."""
        if self.kept_head is None:
            return None
        if kept is None:
            if adopt is not None and latest is not None:
                with self._tree_lock:
                    if self._matches(latest, None):
                        self.kept_head.adopt(latest, adopt)
            return None
        stored = conn.scalar(sa.select(audit_heads.c.id).where(
            audit_heads.c.tree_size == kept.size, audit_heads.c.root_hash == kept.root_hash,
            audit_heads.c.signature == kept.signature).limit(1))
        return _Kept(kept, stored is not None)

    def _matches(self, latest: SignedTreeHead | None, kept: _Kept | None) -> bool:
        if self._modified or self._gap:
            return False
        if kept is not None and not (kept.stored and self._extends(kept.head)):
            return False
        return latest is None or self._extends(latest)

    def _extends(self, head: SignedTreeHead) -> bool:
        return head.size <= self._tree.size and self._tree.root(head.size) == head.root_hash

    def _check_matches(self, latest: SignedTreeHead | None, kept: _Kept | None,
                       sound: bool) -> None:
        """`sound`: the archived leaves in place and the latest head's signature verified."""
        if not (sound and self._matches(latest, kept)):
            raise AuditIntegrityError(
                "Le journal stocké ne correspond plus à sa dernière tête signée ; lancez "
                "`capactif audit verify` sur un export pour trouver l'entrée fautive.",
                "The stored log no longer matches its last signed head; run "
                "`capactif audit verify` on an export to find the bad entry.",
            )


class _Kept(NamedTuple):
    """The head kept outside the store, and whether the store's heads table holds it."""

    head: SignedTreeHead
    stored: bool


# The driver's own values (no SQLAlchemy processing: the time as SQLite's text, the lists
# as JSON text or as psycopg decodes them), for `stored_leaf`.
_HASHED = tuple(sa.type_coerce(audit_entries.c[name], sa.types.NullType()).label(name)
                for name in HASHED_COLUMNS)


def next_seq(conn: sa.Connection) -> int:
    """The seq the next appended entry gets (entries may all have been archived)."""
    last = conn.scalar(sa.select(sa.func.max(audit_entries.c.seq)))
    if last is None:
        last = conn.scalar(sa.select(sa.func.max(audit_archived_leaves.c.seq)))
    return 0 if last is None else last + 1


def archived_size(conn: sa.Connection) -> int:
    """How many entries, from seq 0, retention has moved to archive files."""
    last = conn.scalar(sa.select(sa.func.max(audit_archived_leaves.c.seq)))
    return 0 if last is None else last + 1


def _archive_range(conn: sa.Connection, bound: ArchiveBound | None) -> tuple[int, bool]:
    """The store's retention boundary, and whether it is in place: the archived leaves
    one prefix from seq 0 ending where the live entries begin, at the boundary kept
    outside the store (`bound`, when one is kept)."""
    first, last = conn.execute(sa.select(sa.func.min(audit_archived_leaves.c.seq),
                                         sa.func.max(audit_archived_leaves.c.seq))).one()
    live = conn.scalar(sa.select(sa.func.min(audit_entries.c.seq)))
    archived = 0 if last is None else last + 1
    in_place = (first in (None, 0) and (live is None or live == archived)
                and (bound is None or bound.allows(archived)))
    return archived, in_place


def _insert(conn: sa.Connection, prepared: list[tuple[bytes, tuple[Any, ...]]],
            idle_ms: int = 0) -> tuple[int, tuple[bytes, ...]]:
    """Number and insert prepared events under the log lock; the first seq and the leaves.
    With `idle_ms` (the caller commits right after: between the lock and the commit the
    client sends only the insert and the commit), PostgreSQL ends the session if it sits
    idle that long holding the lock (its process paused: a VM paused, a debugger), so
    the other processes' appends, which every push, outcome and console action makes,
    wait that long at most; the paused process, once it goes on, commits nothing."""
    lock_log(conn, idle_ms)
    first = next_seq(conn)
    leaves, params = zip(*(numbered(p, first + i) for i, p in enumerate(prepared)), strict=True)
    conn.exec_driver_sql(insert_statement(conn.dialect.name), list(params))
    return first, leaves


def _entries_from(seq: int) -> Any:
    """The stored entries from `seq` on, live and archived (leaves only), by seq: one
    statement over both tables, since retention moves rows between them atomically."""
    live = sa.select(sa.literal(1).label("live"), *_HASHED).where(audit_entries.c.seq >= seq)
    archived = sa.select(sa.literal(0), audit_archived_leaves.c.seq,
                         audit_archived_leaves.c.leaf_hash,
                         *(sa.null() for _ in _HASHED[2:])).where(
        audit_archived_leaves.c.seq >= seq)
    return sa.union_all(live, archived).order_by("seq")


def lock_log(conn: sa.Connection, idle_ms: int = 0) -> None:
    """Take the log's lock until the transaction ends; with `idle_ms`, the server ends the
    session if it then sits idle that long in this transaction (a limit set for this
    transaction only)."""
    # SQLite: the engine's BEGIN IMMEDIATE already holds the database write lock.
    if conn.dialect.name != "postgresql":
        return
    lock = sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)
    if idle_ms > 0:
        conn.execute(sa.select(sa.func.set_config(
            "idle_in_transaction_session_timeout", str(idle_ms), True), lock))
    else:
        conn.execute(sa.select(lock))


def entry_rows(conn: sa.Connection, first: int = 0, end: int | None = None) -> Iterator[Any]:
    """Stored entries with first <= seq < end, by seq, page by page (keyset): flat memory."""
    after = first - 1
    bound = [] if end is None else [audit_entries.c.seq < end]
    while True:
        page = conn.execute(
            sa.select(audit_entries).where(audit_entries.c.seq > after, *bound)
            .order_by(audit_entries.c.seq).limit(_PAGE)
        ).all()
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].seq


def _latest_head(conn: sa.Connection) -> SignedTreeHead | None:
    row = conn.execute(sa.select(audit_heads).order_by(audit_heads.c.id.desc()).limit(1)).first()
    return None if row is None else _head(row, ())


def read_heads(conn: sa.Connection) -> list[SignedTreeHead]:
    cosignatures: dict[int, list[Cosignature]] = {}
    for row in conn.execute(sa.select(audit_cosignatures).order_by(audit_cosignatures.c.id)):
        cosignatures.setdefault(row.head_id, []).append(
            Cosignature(row.witness, row.key_id, bytes(row.signature))
        )
    rows = conn.execute(sa.select(audit_heads).order_by(audit_heads.c.id))
    return [_head(row, cosignatures.get(row.id, ())) for row in rows]


def _head(row: Any, cosignatures: Sequence[Cosignature]) -> SignedTreeHead:
    return SignedTreeHead(
        row.tree_size, bytes(row.root_hash), row.timestamp_ms, row.key_id, bytes(row.signature),
        tuple(cosignatures),
    )
