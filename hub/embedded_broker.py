"""The embedded broker: kombu's file-system transport made safe to share between processes.

kombu's own transport writes a message file in place, so a reader can pick up a file
created but not yet written (or left empty by a full disk) and the worker dies on the
decoding error. Here a message is written to a temporary name outside the queue folder,
then renamed into it: a reader sees a whole message or nothing. No fsync: the outbox, not
the broker, is the durable record, and the sweep re-publishes what a power cut loses. A file
that still cannot be read (torn by a crash of an older version, a disk error), and
anything else under a message's name (a FIFO, a folder, a symbolic link, never followed;
a file too large to be a message, never read) is moved to `broker/torn/` and logged,
never fatal: the outbox sweep re-publishes the work it carried, since tasks hold ids
only. So is a message a producer killed mid-write left in `staging/` (never in the
queue), once older than any write; a message a reader killed between taking and
deleting it left in `reading/` is put back in the queue, under a new name. The working
folders (`staging/`, `reading/`, `torn/`) are made again if removed while processes run
(they look like scratch space), and so is the queue folder itself: the messages removed
with it are published again by the sweep.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import uuid
from pathlib import Path
from time import monotonic, time
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps
from kombu.utils.objects import cached_property

from hub.broker_messages import MAX_MESSAGE_BYTES, UnreadableMessage, checked
from hub.task_headers import BadTaskMessage

log = logging.getLogger(__name__)

TRANSPORT = "hub.embedded_broker:Transport"
# A message is written in `staging/` and renamed within milliseconds: one older than this
# was left half-written by a producer killed mid-write (looked for once in this time).
STAGED_MAX_AGE_S = 60.0


class NotAMessageFile(OSError):
    """A FIFO, a folder or a device under a message's name: never opened for reading."""


class SymlinkRefused(OSError):
    """A symbolic link under a message's name: never followed out of the folder."""


class MessageTooLarge(OSError):
    """A file larger than any message of the hub's: never read into memory."""


class Channel(filesystem.Channel):
    @cached_property
    def _broker_dir(self) -> Path:
        return Path(self.data_folder_in).parent

    @cached_property
    def _staging_dir(self) -> Path:
        return _folder(self._broker_dir / "staging")

    @cached_property
    def _reading_dir(self) -> Path:
        return _folder(self._broker_dir / "reading")

    @cached_property
    def torn_dir(self) -> Path:
        return _folder(self._broker_dir / "torn")

    # kombu's filesystem Channel names the second argument `payload`, its base `message`;
    # ours keeps the name of the Channel it extends (the one kombu calls it by).
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        staged = self._staging_dir / name
        try:
            _write(staged, dumps(payload).encode())
            _move(staged, Path(self.data_folder_out) / name)
        except OSError as exc:
            staged.unlink(missing_ok=True)
            if exc.filename is None:  # a write refused (a full disk) names no file: the log
                exc.filename = str(staged)  # says where (hub.outages), never what
            raise ChannelError(f"Cannot add a message to queue {queue!r}: {exc}") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        self._clear_staging()
        wanted = f"{queue}.msg"
        try:
            names = sorted(os.listdir(self.data_folder_in))
        except FileNotFoundError:  # the queue folder was removed: make it again
            _folder(Path(self.data_folder_in))
            log.warning("embedded broker: queue folder %s removed, made again; the outbox "
                        "sweep re-publishes the work of the messages it held",
                        self.data_folder_in)
            raise filesystem.Empty() from None
        self._said_stuck.intersection_update(names)  # forget the messages gone since
        for name in names:
            if name.partition(".")[2] != wanted:
                continue
            taken = self._reading_dir / name
            try:  # only one reader wins
                _move(Path(self.data_folder_in) / name, taken)
            except FileNotFoundError:
                continue  # taken by another reader in the meantime
            except OSError as exc:
                self._stuck(name, exc)
                continue
            message = self._read(taken)
            if message is not None:
                return message
        raise filesystem.Empty()

    @cached_property
    def _staging_looked_at(self) -> list[float]:
        """When `staging/` was last looked at for half-written messages (monotonic)."""
        return [-STAGED_MAX_AGE_S]

    def _clear_staging(self) -> None:
        """Move to `torn/` the messages a producer killed mid-write left in `staging/`
        (never in the queue, so never read): logged, not piling up unseen. And put back
        in the queue those a reader killed between taking and deleting them left in
        `reading/`."""
        now = monotonic()
        if now - self._staging_looked_at[0] < STAGED_MAX_AGE_S:
            return
        self._staging_looked_at[0] = now
        self._requeue_left_in_reading()
        for path in _older_than(self._staging_dir, time() - STAGED_MAX_AGE_S):
            try:
                _move(path, self.torn_dir / path.name)
            except OSError:
                continue  # renamed by its producer after all, or torn/ refuses it
            log.error("embedded broker: message left unfinished in staging/ for over a "
                      "minute moved to %s (its producer was killed or paused before "
                      "handing it over); the outbox sweep re-publishes its work",
                      self.torn_dir / path.name)

    @cached_property
    def _seen_in_reading(self) -> set[str]:
        """The messages in `reading/` at the last look (a minute ago at least)."""
        return set()

    def _requeue_left_in_reading(self) -> None:
        """A reader holds a message in `reading/` for milliseconds: one there at two looks
        a minute apart was left by a reader killed between taking and deleting it. It is
        put back in the queue (a task carries ids and is idempotent: running it again is
        safe), unless it cannot be read (`torn/` refused it: it stays, counted by the
        readiness checks, rather than being read and refused again every minute)."""
        try:
            names = {path.name for path in self._reading_dir.iterdir() if path.name.endswith(".msg")}
        except OSError:
            return
        left = sorted(names & self._seen_in_reading)
        self._seen_in_reading.clear()
        self._seen_in_reading.update(names)
        for name in left:
            path = self._reading_dir / name
            try:
                self._readable(path)  # what `_read` checks: else taken and refused for ever
                # Under a new name: the reader that left it, if only paused, can neither
                # read nor delete the new copy (`_read` skips a vanished file).
                _move(path, Path(self.data_folder_in) / _renamed(name))
            except _UNREADABLE:
                continue  # unreadable, or taken back by another worker's look meanwhile
            log.warning("embedded broker: a message left in reading/ by a reader stopped "
                        "between taking and deleting it was put back in the queue")

    @cached_property
    def _said_stuck(self) -> set[str]:
        """The messages in `queue/` that could not be taken, already said."""
        return set()

    def _stuck(self, name: str, exc: OSError) -> None:
        """A message that cannot be moved out of `queue/` (not taken by another reader:
        `reading/` refuses it): said once per file, tried again at each read."""
        if name in self._said_stuck:
            return
        self._said_stuck.add(name)
        log.error("embedded broker: message %s stays in %s: it cannot be moved to %s (%s)",
                  name, self.data_folder_in, self._reading_dir, type(exc).__name__)

    def _read(self, path: Path) -> Any:
        try:
            message = self._readable(path)
        except FileNotFoundError:
            return None  # put back in the queue under a new name while this reader paused
        except (BadTaskMessage, UnreadableMessage) as exc:
            self._set_aside(path, str(exc))
            return None
        except _UNREADABLE as exc:
            self._set_aside(path, type(exc).__name__)
            return None
        path.unlink(missing_ok=True)
        return message

    def _readable(self, path: Path) -> dict[str, Any]:
        """The message at `path` as the consumer will take it, else one of _UNREADABLE."""
        return checked(_contents(path), self)

    def set_aside(self, message: Any) -> str:
        """Keep in `torn/` a copy of `message`, taken from the queue but refused by the
        consumer; where it is kept, or why it is not (never fatal)."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.refused.msg"
        try:
            _write(self.torn_dir / name, dumps(message._raw).encode())
        except (OSError, TypeError, ValueError, AttributeError) as exc:
            return f"nothing: {self.torn_dir} refuses it ({type(exc).__name__})"
        return str(self.torn_dir / name)

    def _set_aside(self, path: Path, error: str) -> None:
        """Move an unreadable message to `torn/`; if that folder refuses it (read-only,
        full), leave it in `reading/`, out of the queue: never fatal, never read again."""
        try:
            _move(path, self.torn_dir / path.name)
        except OSError as exc:
            log.error("embedded broker: unreadable message %s (%s) left in %s: %s refuses it "
                      "(%s); the outbox sweep re-publishes its work", path.name, error,
                      path.parent, self.torn_dir, type(exc).__name__)
            return
        log.error("embedded broker: unreadable message moved to %s (%s); the outbox sweep "
                  "re-publishes its work", self.torn_dir / path.name, error)


_UNREADABLE = (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError)


def _renamed(name: str) -> str:
    """`name` with a new unique part, keeping its place in the queue's order and its queue."""
    stem, _, queue = name.partition(".")
    return f"{stem.partition('_')[0]}_{uuid.uuid4()}.{queue}"


def _contents(path: Path) -> bytes:
    """The bytes of the regular file at `path`, opened without following a symbolic link
    and without waiting for a FIFO's writer; anything else, or a file larger than
    MAX_MESSAGE_BYTES, raises the OSError that names it (and is set aside)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkRefused(exc.errno, "a symbolic link") from None
        raise
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise NotAMessageFile(errno.EINVAL, "not a regular file")
    with os.fdopen(handle, "rb") as opened:
        data = opened.read(MAX_MESSAGE_BYTES + 1)
    if len(data) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(errno.EFBIG, f"over {MAX_MESSAGE_BYTES} bytes")
    return data


def _older_than(folder: Path, oldest: float) -> list[Path]:
    """The files of `folder` last written before `oldest` (a Unix time); none when the
    folder cannot be read (it is made again at the next write)."""
    try:
        names = list(folder.iterdir())
    except OSError:
        return []
    found = []
    for path in names:
        with contextlib.suppress(OSError):  # renamed into the queue meanwhile
            if path.stat(follow_symlinks=False).st_mtime < oldest:
                found.append(path)
    return found


class Transport(filesystem.Transport):
    Channel = Channel


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        _folder(path.parent)  # the folder was removed: make it again, once
        path.write_bytes(data)


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except FileNotFoundError:
        if not source.exists():
            raise  # taken by another reader
        _folder(target.parent)  # the folder was removed: make it again, once
        os.replace(source, target)


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
