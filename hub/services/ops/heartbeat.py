"""Heartbeats: worker and beat processes say they are alive through the store.

A daemon thread refreshes the process's row every `HUB_HEARTBEAT_INTERVAL_S`; the
metrics count processes seen within three intervals. A database outage only delays a
heartbeat: the thread logs the failure class once, keeps beating, and says when it beats
again (before, a full disk had each process say so again at every interval).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

import sqlalchemy as sa

from hub.bootstrap import database_deadlines, utc_now
from hub.config import Settings
from hub.store.engine import unpooled_engine
from hub.store.ops_repository import OpsQueries

log = logging.getLogger(__name__)


class Heartbeat:
    """Runs in the worker's parent process, which forks the pool: it builds no Hub and
    keeps no connection open between beats (a forked child must inherit none)."""

    def __init__(self, settings: Settings, kind: str, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._settings, self._kind, self._clock = settings, kind, clock
        # With the deadlines: at SIGTERM the row is withdrawn, which on a silent database
        # waited for ever and kept the worker from ending.
        self._engine = unpooled_engine(settings.database_url.reveal(),
                                       database_deadlines(settings))
        self._host, self._pid = socket.gethostname(), os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{kind}", daemon=True)
        self._failures = 0  # in a row, since the last beat stored

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Withdraw the row, once (a beat run in the worker's process is stopped both at
        `worker_shutdown` and by its finalizer)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            with self._engine.begin() as conn:
                OpsQueries(conn).forget(kind=self._kind, host=self._host, pid=self._pid)
        except Exception as exc:  # shutting down: the row simply ages out
            log.warning("heartbeat not withdrawn (%s)", type(exc).__name__)

    def beat_once(self) -> None:
        with self._engine.begin() as conn:
            queries = OpsQueries(conn)
            now = self._clock()
            queries.beat(kind=self._kind, host=self._host, pid=self._pid, now=now)
            queries.forget_older_than(
                now - dt.timedelta(seconds=100 * self._settings.heartbeat_interval_s))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat_and_say()
            self._stop.wait(self._settings.heartbeat_interval_s)

    def beat_and_say(self) -> None:
        """One beat; its failure said once (then at DEBUG), and the first beat after."""
        try:
            self.beat_once()
        except Exception as exc:
            self._failures += 1
            level = logging.WARNING if self._failures == 1 else logging.DEBUG
            log.log(level, "heartbeat failed (%s); retrying every %.0f s, said again when it "
                    "beats", type(exc).__name__, self._settings.heartbeat_interval_s)
            return
        if self._failures:
            log.warning("heartbeat again after %d failed tries", self._failures)
        self._failures = 0



def live_processes(engine: sa.Engine, settings: Settings, now: dt.datetime) -> int:
    """How many hub processes beat within three intervals (a process stopped cleanly
    withdraws its row; one killed ages out). A store without the heartbeats' table (older
    than it, or a schema an interrupted restore left empty) has none."""
    return sum(live for _kind, live in _beats(engine, settings, now))


def kinds_alive(engine: sa.Engine, settings: Settings, now: dt.datetime) -> dict[str, bool]:
    """For each kind of process with a heartbeat row (`worker`, `beat`), whether one of
    them beat within three intervals (a killed one's row stays 100 intervals)."""
    alive: dict[str, bool] = {}
    for kind, live in _beats(engine, settings, now):
        alive[kind] = alive.get(kind, False) or live
    return alive


def _beats(engine: sa.Engine, settings: Settings, now: dt.datetime) -> list[tuple[str, bool]]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("process_heartbeats"):
            return []
        beats = OpsQueries(conn).heartbeats()
    limit = dt.timedelta(seconds=3 * settings.heartbeat_interval_s)
    return [(b.kind, now - (b.seen_at if b.seen_at.tzinfo else b.seen_at.replace(tzinfo=dt.UTC))
             <= limit) for b in beats]
