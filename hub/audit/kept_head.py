"""The hub's last signed head, kept outside the store (in the key directory).

Whoever can write the database alone could rewrite the log's entries with their leaf
hashes, delete the heads, and let the hub sign the forged history again (or cut the log
back and let it sign the shorter one). The hub therefore keeps its last signed head in
a file beside its keys, never in the data directory: before signing, the stored log
must extend it (the same root at its size, no fewer entries, the head itself still in
the heads table). The file only grows: written atomically (a new file renamed over the
old one) under an exclusive lock, and never replaced by a smaller head, so that
processes signing concurrently lose no update. Only an operator's act takes it back (a
restore, `replace`), and the act is recorded beside it (`audit_kept_head.history.jsonl`).

The file also keeps the retention boundary (`archive`): how many entries, from seq 0,
retention has moved out of the store, and the boundary of a run under way (written
before its commit, so that a run cut short between its commit and the file is not taken
for tampering). The database alone can then no longer pass entries off as archived.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from hub.audit.heads import SignedTreeHead, head_from_dict, head_to_dict
from hub.errors import AuditIntegrityError
from hub.key_dir import writing_keys

FILE_NAME = "audit_kept_head.json"
HISTORY_NAME = "audit_kept_head.history.jsonl"
_LOCK_NAME = "audit_kept_head.lock"
_log = logging.getLogger("hub")


class ArchiveBound(NamedTuple):
    """Entries [0, size) moved out by retention; `pending`: the end of a run under way."""

    size: int
    pending: int | None = None

    def allows(self, archived: int) -> bool:
        return archived in (self.size, self.pending)


class KeptHead:
    """The file `audit_kept_head.json` of `folder` (the key directory)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME

    def read(self) -> SignedTreeHead | None:
        """The kept head, or None before the hub's first signed head (or an upgrade)."""
        return self.read_both()[0]

    def read_both(self) -> tuple[SignedTreeHead | None, ArchiveBound | None]:
        """The kept head and retention boundary (None: none kept yet, an upgrade)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        try:
            document = json.loads(data)
            bound = document.get("archive")
            return head_from_dict(document["tete"]), None if bound is None else ArchiveBound(
                _count(bound["taille"]), None if bound["en_cours"] is None
                else _count(bound["en_cours"]))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise AuditIntegrityError(
                "La tête signée conservée par le hub hors de sa base est illisible : le hub "
                "ne signe plus ; l'exploitant vérifie le répertoire de clés.",
                "The signed head the hub keeps outside its store is unreadable: the hub "
                "signs no more; the operator checks the key directory.") from exc

    def advance(self, head: SignedTreeHead, archived: int) -> None:
        """Keep `head` unless the kept one is larger (or as large and later): another
        process signed past it meanwhile. `archived`: the store's retention boundary
        read with the head, kept only when none is kept yet (a file of an earlier
        release, or the first head)."""
        with self._locked():
            kept, bound = self.read_both()
            if kept is not None and (kept.size, kept.timestamp_ms) >= (head.size,
                                                                        head.timestamp_ms):
                return
            self._write(head, "signed", bound or ArchiveBound(archived))

    def adopt(self, head: SignedTreeHead, archived: int) -> bool:
        """Keep the store's latest head and retention boundary when no head is kept yet
        (a store signed by an earlier release); False when a head was kept meanwhile."""
        with self._locked():
            if self.read() is not None:
                return False
            self._write(head, "adopted", ArchiveBound(archived))
            self._record("adopted", None, head)
        _log.warning("audit: no signed head was kept outside the store yet; the store's "
                     "latest head (size %d) is kept from now on", head.size)
        return True

    def archiving(self, first: int, end: int) -> None:
        """A retention run moves the entries [first, end) out (written before its commit)."""
        self._set_bound(lambda bound: ArchiveBound((bound or ArchiveBound(first)).size, end))

    def archived(self, end: int) -> None:
        """The retention run ending at `end` committed: the boundary moves there (a later
        run already under way keeps its own end)."""
        def change(bound: ArchiveBound | None) -> ArchiveBound:
            bound = bound or ArchiveBound(end)
            later = bound.pending if bound.pending is not None and bound.pending > end else None
            return ArchiveBound(max(bound.size, end), later)
        self._set_bound(change)

    def _set_bound(self, change: Callable[[ArchiveBound | None], ArchiveBound]) -> None:
        with self._locked():
            head, bound = self.read_both()
            if head is not None:
                self._write(head, "archive", change(bound))

    def replace(self, head: SignedTreeHead | None, reason: str, archived: int = 0) -> None:
        """An operator's act taking the kept head back (a restore), with the retention
        boundary of the copy: recorded in the history file with the head it replaces,
        never silent."""
        with self._locked():
            before = self.read() if self.path.exists() else None
            self._record(reason, before, head)
            if head is None:
                with writing_keys(self.folder):
                    self.path.unlink(missing_ok=True)
            else:
                self._write(head, reason, ArchiveBound(archived))
        _log.warning("audit: the kept signed head was replaced (%s): size %s -> %s", reason,
                     before.size if before else None, head.size if head else None)

    def _write(self, head: SignedTreeHead, how: str, bound: ArchiveBound | None) -> None:
        document: dict[str, Any] = {"format": 1, "comment": how, "tete": head_to_dict(head)}
        if bound is not None:
            document["archive"] = {"taille": bound.size, "en_cours": bound.pending}
        temporary = self.path.with_suffix(".tmp")
        with writing_keys(self.folder):
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as stream:
                stream.write(json.dumps(document).encode("ascii"))
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
            _sync_folder(self.folder)

    def _record(self, reason: str, before: SignedTreeHead | None,
                after: SignedTreeHead | None) -> None:
        line: dict[str, Any] = {"acte": reason,
                                "avant": head_to_dict(before) if before else None,
                                "apres": head_to_dict(after) if after else None}
        with writing_keys(self.folder):
            fd = os.open(self.folder / HISTORY_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                         0o600)
            with os.fdopen(fd, "a", encoding="ascii") as stream:
                stream.write(json.dumps(line) + "\n")
                stream.flush()
                os.fsync(stream.fileno())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with writing_keys(self.folder):
            fd = os.open(self.folder / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a count")
    return value


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
