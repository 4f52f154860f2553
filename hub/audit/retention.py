"""Retention: entries older than the retention period move to signed, chained archive files.

A segment holds the entries [first, end) and ends at the size of a signed head, so each
file verifies on its own with `capactif audit verify`: it opens with the compact range of
the entries before it (checked against the head at `first`, which closed the previous
segment), then holds its entries, the heads at `first` and `end` and the consistency
proof first→end. Segments chain: each starts at the head the previous one closed with
and names the previous file's SHA-256; `capactif audit verify SEG1 SEG2 … LIVE` checks
the whole chain. The entries' leaf hashes stay in the database (`audit_archived_leaves`),
so the Merkle tree goes on and archived entries stay provable (inclusion and
consistency proofs); only their content leaves the live store.

The move is one transaction under the log lock: the file is written and synced first,
then leaves are copied, entries deleted and the segment recorded. A crash before the
commit leaves a file that the next run rewrites identically. The boundary is also kept
outside the store, beside the signed head (`KeptHead`): the run's end before the
commit, the new boundary after it; the hub refuses to sign a store whose archived
leaves end elsewhere, or are not one prefix of the log.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.audit import export as records
from hub.audit.log import AuditLog, archived_size, entry_rows, lock_log, next_seq, read_heads
from hub.audit.rows import as_utc, row_document
from hub.private_files import open_private
from hub.store.audit_tables import (
    audit_archive_segments,
    audit_archived_leaves,
    audit_entries,
    audit_heads,
)

MAX_SEGMENT = 100_000  # entries per archive file, when the signed heads allow it


@dataclass(frozen=True)
class ArchiveSegment:
    """One archive file: entries first_seq <= seq < end_seq."""

    first_seq: int
    end_seq: int
    path: Path
    sha256: str
    previous_sha256: str | None


def archive_before(log: AuditLog, cutoff: datetime, folder: Path, now: datetime) -> ArchiveSegment | None:
    """Archive every entry appended before `cutoff` up to the last signed head that
    covers only such entries; None when there is nothing to archive yet."""
    folder.mkdir(parents=True, exist_ok=True)
    log.refresh()
    with log.engine.begin() as conn:
        lock_log(conn)
        first = archived_size(conn)
        end = _boundary(conn, first, as_utc(cutoff))
        if end is None:
            return None
        previous = conn.scalar(sa.select(audit_archive_segments.c.sha256)
                               .order_by(audit_archive_segments.c.end_seq.desc()).limit(1))
        path = folder / f"audit-{first:012d}-{end:012d}.jsonl"
        digest = _write_segment(conn, log, first, end, path, previous)
        if log.kept_head is not None:  # kept before the commit: a run cut short is no alarm
            log.kept_head.archiving(first, end)
        _move_leaves(conn, end)
        conn.execute(audit_archive_segments.insert().values(
            first_seq=first, end_seq=end, file_name=path.name, sha256=digest,
            previous_sha256=previous, archived_at=now))
    if log.kept_head is not None:  # the boundary moves outside the store once committed
        log.kept_head.archived(end)
    return ArchiveSegment(first, end, path, digest, previous)


def segments(log: AuditLog) -> list[ArchiveSegment]:
    """Every archive segment, oldest first (paths relative to the folder they were written in)."""
    with log.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_archive_segments).order_by(audit_archive_segments.c.first_seq))
        return [ArchiveSegment(r.first_seq, r.end_seq, Path(r.file_name), r.sha256, r.previous_sha256)
                for r in rows]


def _boundary(conn: sa.Connection, first: int, cutoff: datetime) -> int | None:
    """The largest signed head size beyond `first` below which every entry is older than
    `cutoff`, within MAX_SEGMENT entries when a head allows it (the log lock is held while
    a segment is written: appends wait)."""
    young = conn.scalar(sa.select(sa.func.min(audit_entries.c.seq)).where(audit_entries.c.at >= cutoff))
    limit = next_seq(conn) if young is None else young
    sizes = audit_heads.c.tree_size
    capped = conn.scalar(sa.select(sa.func.max(sizes)).where(
        sizes > first, sizes <= min(limit, first + MAX_SEGMENT)))
    return capped or conn.scalar(sa.select(sa.func.min(sizes)).where(sizes > first, sizes <= limit))


def _write_segment(conn: sa.Connection, log: AuditLog, first: int, end: int, path: Path,
                   previous: str | None) -> str:
    partial = path.with_suffix(".partial")
    digest = hashlib.sha256()
    with open_private(partial) as stream:
        lines = (records.encode_record(r) + "\n" for r in _segment_records(conn, log, first, end, previous))
        for line in records.ending_lines(lines):
            digest.update(line.encode("utf-8"))
            stream.write(line)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, path)
    return digest.hexdigest()


def _segment_records(conn: sa.Connection, log: AuditLog, first: int, end: int,
                     previous: str | None) -> Any:
    yield records.meta_record(first, end, previous_sha256=previous)
    if first:
        yield records.archive_record(first, log.frontier(first))
    for row in entry_rows(conn, first, end):
        yield records.stored_entry_record(row.seq, bytes(row.leaf_hash), row_document(row))
    heads = [h for h in read_heads(conn) if h.size in (first, end)]
    yield from (records.head_record(h) for h in heads)
    if len({h.size for h in heads}) == 2:  # one proof per pair of successive heads, as the verifier requires
        yield records.consistency_record(first, end, log.consistency_proof(first, end, refresh=False))


def _move_leaves(conn: sa.Connection, end: int) -> None:
    moved = sa.select(audit_entries.c.seq, audit_entries.c.leaf_hash).where(audit_entries.c.seq < end)
    conn.execute(audit_archived_leaves.insert().from_select(["seq", "leaf_hash"], moved))
    conn.execute(audit_entries.delete().where(audit_entries.c.seq < end))
