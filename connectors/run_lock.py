"""One run at a time per checkpoint: a second run of the same connector is refused.

Two runs of one connector at once (`--every 15m` and one started by hand) would read the
source at two moments and push in any order: the slower one, holding the older read, could
answer the newer version at the hub. A run therefore holds a lock file beside its
checkpoint (`reprise.json.verrou`) for as long as it reads, pushes and acknowledges; a run
that finds it held stops at once (`RunUnderWay`, exit code 6) naming the holder's process
id, before reading anything. The lock is the operating system's lock on the open file
(`flock`, `LockFileEx` on Windows): the system releases it when its process ends, even
killed with SIGKILL or by a power cut, so a lock left by a dead run never stops the next
one. The file itself stays (removing it would let two runs lock two different files).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

from connectors.errors import RunUnderWay

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def lock_path(checkpoint: Path) -> Path:
    """The lock file of the run that keeps `checkpoint`."""
    return checkpoint.with_name(checkpoint.name + ".verrou")


class RunLock:
    """Held while a run of the connector keeping `checkpoint` is under way."""

    def __init__(self, checkpoint: str | Path) -> None:
        self.path = lock_path(Path(checkpoint))
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # held open for the whole run: the lock lives with it
        if not _try_lock(handle):
            holder = ""
            with contextlib.suppress(OSError):  # Windows refuses to read a locked byte
                handle.seek(0)
                holder = handle.read(32).decode("ascii", "replace").strip()
            handle.close()
            raise RunUnderWay.held_by(holder, self.path)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n".encode("ascii"))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):  # the run's own outcome is the one reported
            handle.seek(0)
            handle.truncate()
            handle.flush()
            _unlock(handle)
        handle.close()
