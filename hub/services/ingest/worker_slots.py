"""How many worker slots share the outbox queue: the divisor of a transaction's claim
(`processing._queued_more`).

A worker's heartbeat row counts for three heartbeat intervals after its last beat (45 s
by default): a worker killed with SIGKILL withdraws nothing, and for that long the
survivors took half shares of the queue, smaller transactions, as if it still took the
rest. A row of this host whose process is gone (or a zombie) is not counted: only the
rows of other hosts wait out the intervals. A pid taken again by another process counts
as before, until the row ages out.

Each claiming transaction asks (`processing._queued_more`): a pid found running is taken
as running for `RUNNING_KEPT_S` without reading /proc again (`Liveness`), so a busy
worker reads each row's process once a second at most, and a worker killed meanwhile
stops counting within that second.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from hub.bootstrap import Hub
from hub.store.uow import UnitOfWork

_PROC = Path("/proc")
# How long a pid found running counts as running without another look (`Liveness`).
RUNNING_KEPT_S = 1.0


class Liveness:
    """Which processes of this host run (`is_running`), a pid found running kept for
    `kept_s` of `clock` (monotonic seconds); one found not running is looked at again at
    every question (a killed worker is never kept)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 kept_s: float = RUNNING_KEPT_S) -> None:
        self._clock, self._kept_s = clock, kept_s
        self._running_until: dict[int, float] = {}

    def runs(self, pid: int) -> bool:
        now = self._clock()
        if self._running_until.get(pid, now) > now:
            return True
        self._running_until = {p: t for p, t in self._running_until.items() if t > now}
        if not is_running(pid):
            return False
        self._running_until[pid] = now + self._kept_s
        return True


_LIVENESS = Liveness()  # the process's: each worker process asks for its own claims


def live_worker_slots(hub: Hub, uow: UnitOfWork, liveness: Liveness = _LIVENESS) -> int:
    """The live worker processes (heartbeats within three intervals, less those of this
    host no longer running) times each one's concurrency; at least 1."""
    settings = hub.settings
    since = hub.clock() - dt.timedelta(seconds=3 * settings.heartbeat_interval_s)
    host = _this_host()
    alive = [beat for beat in uow.ops.alive("worker", since)
             if beat.host != host or liveness.runs(beat.pid)]
    return max(1, len(alive)) * max(1, settings.worker_concurrency)


@functools.cache
def _this_host() -> str:
    """This host's name as its heartbeats store it (read once a process, as they read it)."""
    return socket.gethostname()[:120]


def is_running(pid: int) -> bool:
    """Whether process `pid` of this host runs (a zombie, killed and not yet reaped by its
    parent, does not)."""
    if pid <= 0:
        return False
    if _PROC.is_dir():  # Linux: a zombie still answers signals; its state says Z
        try:
            stat = (_PROC / str(pid) / "stat").read_text()
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return stat[stat.rindex(")") + 2:][:1] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True
