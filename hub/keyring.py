"""Key-encryption keys (KEKs) in buckets, kept in the key directory, never in the database.

Each fiche's data key is wrapped by the KEK of its bucket (`fiche_pk % BUCKETS`) at the
bucket's current generation; the database records that generation per bucket
(`key_buckets`), so every process notices a change. An erasure does not rely on the
database forgetting the destroyed wrapped key (SQLite WAL frames and free pages,
PostgreSQL dead tuples and WAL keep old bytes): it re-wraps the bucket's other keys under
a fresh KEK and destroys the old KEK from this file, so every copy of the old wrapped
key, wherever it lies, is useless with every key the hub still holds.

The file is replaced atomically (write, fsync, rename, fsync the directory) under an
exclusive lock held for the whole rotation, so two processes never lose each other's
generations.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from consent.api import new_key
from hub.errors import ConfigurationError
from hub.journal import RecoveryJournal, write_all
from hub.key_dir import writing_keys

BUCKETS = 256
FILE = "data_keks.json"
_LOCK = ".keyring.lock"


def bucket_of(fiche_pk: int) -> int:
    return fiche_pk % BUCKETS


class Keyring:
    """The KEKs by (bucket, generation); reloaded from the file when a generation is unknown."""

    def __init__(self, key_dir: Path) -> None:
        self.key_dir = key_dir
        self.path = key_dir / FILE
        self._keks: dict[tuple[int, int], bytes] = {}
        self._mutex = threading.Lock()
        self._owner: int | None = None

    @classmethod
    def load_or_create(cls, key_dir: Path) -> Keyring:
        keyring = cls(key_dir)
        with keyring.locked():
            if not keyring.path.exists():
                keyring._write({(b, 1): new_key() for b in range(BUCKETS)})
            keyring._keks = keyring._read()
        return keyring

    def kek(self, bucket: int, generation: int) -> bytes | None:
        """The KEK, or None when it was destroyed (or belongs to another key directory)."""
        found = self._keks.get((bucket, generation))
        if found is None:
            self._keks = self._read()  # a whole new mapping: readers never see half of one
            found = self._keks.get((bucket, generation))
        return found

    def generations(self) -> set[tuple[int, int]]:
        return set(self._read())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes (flock) and threads, for a read-modify-write
        (re-entrant in the thread that holds it). Readers (`kek`) never wait for it."""
        if self._owner == threading.get_ident():
            yield
            return
        with self._mutex:
            with writing_keys(self.key_dir):
                self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.key_dir / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._owner = threading.get_ident()
                yield
            finally:
                self._owner = None
                os.close(fd)  # closing releases the flock

    def add_generations(self, buckets: Iterable[int]) -> dict[int, tuple[int, bytes]]:
        """A fresh KEK for each bucket, written to the file before any database row uses it:
        {bucket: (generation, kek)}. Call within `locked()`."""
        assert self._owner == threading.get_ident(), "add_generations runs within locked()"
        keks = self._read()
        fresh: dict[int, tuple[int, bytes]] = {}
        for bucket in sorted(set(buckets)):
            generation = max((g for b, g in keks if b == bucket), default=0) + 1
            fresh[bucket] = (generation, new_key())
            keks[(bucket, generation)] = fresh[bucket][1]
        self._write(keks)
        self._keks = keks
        return fresh

    def keep_only(self, current: Mapping[int, int]) -> int:
        """Destroy every KEK older than its bucket's current generation in the database
        (the old KEKs of a committed rotation).
        Call within `locked()`; answers how many KEKs were destroyed."""
        assert self._owner == threading.get_ident(), "keep_only runs within locked()"
        keks = self._read()
        # Newer generations are kept: a database restored from an older copy names older
        # generations, and `capactif restore` moves it forward with the recovery journal;
        # destroying the newer KEKs here would lose every surviving fiche of the bucket.
        kept = {(b, g): k for (b, g), k in keks.items() if g >= current.get(b, 1)}
        if len(kept) != len(keks):
            self._write(kept)
        self._keks = kept
        return len(keks) - len(kept)

    def _read(self) -> dict[tuple[int, int], bytes]:
        try:
            document = json.loads(self.path.read_text("utf-8"))
            return {(int(b), int(g)): base64.b64decode(text)
                    for b, by_generation in document["keks"].items()
                    for g, text in by_generation.items()}
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"Le fichier de clés {self.path} est absent : le répertoire de clés "
                "(HUB_KEY_DIR) ne correspond pas à cette base.",
                f"The key file {self.path} is missing: the key directory (HUB_KEY_DIR) "
                "does not match this database.") from exc
        except (ValueError, KeyError, AttributeError) as exc:
            raise ConfigurationError(f"Le fichier de clés {self.path} est illisible.",
                                     f"The key file {self.path} is unreadable.") from exc

    def _write(self, keks: Mapping[tuple[int, int], bytes]) -> None:
        document: dict[str, dict[str, str]] = {}
        for (bucket, generation), kek in sorted(keks.items()):
            document.setdefault(str(bucket), {})[str(generation)] = \
                base64.b64encode(kek).decode("ascii")
        write_atomically(self.path, json.dumps({"format": 1, "keks": document}).encode())


def write_atomically(path: Path, content: bytes) -> None:
    """Replace `path` by `content` (0600): after a crash, either the old or the new file.
    A write refused (a full volume: KeyDirectoryFull) leaves the old file and no other."""
    with writing_keys(path.parent):
        _replace(path, content)


def _replace(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, content)  # a short write never replaces the file by a torn one
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    try:
        previous = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        previous = None
    try:
        os.replace(temporary, path)
    except OSError:
        if previous is not None:
            os.close(previous)
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    if previous is not None:
        _scrub(previous)


def destroy_file(path: Path) -> None:
    """Overwrite a key file in place, then remove it (see `_scrub` for the limit)."""
    _scrub(os.open(path, os.O_RDWR))
    path.unlink()


def _scrub(fd: int) -> None:
    """Overwrite the replaced file's blocks in place (best effort: a copy-on-write or
    journalled file system may still keep the old blocks; see docs/privacy.md)."""
    try:
        size = os.fstat(fd).st_size
        os.pwrite(fd, b"\0" * size, 0)
        os.fsync(fd)
    finally:
        os.close(fd)


class StoreKeys:
    """What the store needs from the key directory: the KEKs, the digest key of the
    blocking index, and the former master key while rows still use it."""

    def __init__(self, keyring: Keyring, digest_key: bytes,
                 legacy_master: bytes | None = None, journal: RecoveryJournal | None = None) -> None:
        self.keyring = keyring
        self.digest_key = digest_key
        self.legacy_master = legacy_master
        self.journal = journal  # key rotations replayed by a restore (hub.journal)
