"""How many worker slots share the outbox queue: the divisor of a transaction's claim
(`processing._queued_more`).

A worker's heartbeat row counts for three heartbeat intervals after its last beat (45 s
by default): a worker killed with SIGKILL withdraws nothing, and for that long the
survivors took half shares of the queue, smaller transactions, as if it still took the
rest. A row of this host whose process is gone (or a zombie) is not counted: only the
rows of other hosts wait out the intervals. A pid taken again by another process counts
as before, until the row ages out.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

from hub.bootstrap import Hub
from hub.store.uow import UnitOfWork

_PROC = Path("/proc")


def live_worker_slots(hub: Hub, uow: UnitOfWork) -> int:
    """The live worker processes (heartbeats within three intervals, less those of this
    host no longer running) times each one's concurrency; at least 1."""
    settings = hub.settings
    since = hub.clock() - dt.timedelta(seconds=3 * settings.heartbeat_interval_s)
    host = socket.gethostname()[:120]  # as the heartbeat stores it
    alive = [beat for beat in uow.ops.alive("worker", since)
             if beat.host != host or is_running(beat.pid)]
    return max(1, len(alive)) * max(1, settings.worker_concurrency)


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
