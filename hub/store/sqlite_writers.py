"""Writers of one SQLite file take turns: a fair queue in front of SQLite's write lock.

SQLite lets a waiting writer retry on a timer (sleeps of up to 100 ms), so a process
that writes back to back (the worker) takes the lock again before a waiting API request
wakes up: the API's batches waited for the worker's whole backlog. Here each write
transaction (BEGIN IMMEDIATE) first passes a turnstile, then takes a gate, both
`flock` locks on files beside the database. A writer waiting for the gate holds the
turnstile, so the writer that leaves the gate cannot come back before it: writers
alternate.

A writer waits for its turn no longer than the lock deadline (the busy timeout): a
process stopped (SIGSTOP) or hung while it holds the gate would otherwise block every
writer for ever. The kernel has no `flock` with a timeout, so a waiter polls
(LOCK_NB) every 0.5 ms, and every 5 ms once it has waited a second (a writer stuck that
long is waiting for a stopped holder, and thousands of looks a second would cost CPU for
nothing). Every waiter looks as often as a newcomer: a poll that slowed down as the wait
grew (to 50 ms) handed each freed turn to the writer just arrived, and a request among
the worker's back-to-back batches waited seconds (`bench/sqlite_turns.py --writers 4
--hold-ms 10`: longest wait 3.6 s against 56 ms blocking; now 0.1 s).

The turn and SQLite's wait for its write lock (held by a writer that does not pass the
gate: a `sqlite3` shell, a restore) share one deadline: SQLite's busy timeout for BEGIN
is what the turn left of it.

Past the deadline, `WriterTurnTimeout` (the store's timeout: a 503 of the API, a retry
of the worker).

Locks are taken on descriptors opened for each transaction (never inherited by a fork).
The gate is held until the transaction's COMMIT or ROLLBACK has completed (the driver
connection's own `commit`/`rollback`, `GatedConnection`): let go before, it sent the
next writer into SQLite's timed retries while the COMMIT was still under way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_NEWCOMER_S = 1.0
_NEWCOMER_POLL_S = 0.0005
_WAITER_POLL_S = 0.005


class WriterTurnTimeout(sqlite3.OperationalError):
    """A writer waited longer than the lock deadline for its turn."""


class WriterQueue:
    """`wait_s`: how long a writer may wait for its turn (None: for ever, in a blocking
    `flock`)."""

    def __init__(self, database: Path, wait_s: float | None) -> None:
        self._turnstile = f"{database}.turnstile"
        self._gate = f"{database}.gate"
        self._wait_s = wait_s

    def enter(self, connection: GatedConnection) -> float | None:
        """Wait for this connection's turn to write (call before BEGIN IMMEDIATE), at
        most the lock deadline (then WriterTurnTimeout); return what is left of it for
        SQLite's own wait for the write lock (None: no limit)."""
        deadline = time.monotonic() + (self._wait_s or 0.0)
        turnstile = os.open(self._turnstile, os.O_RDWR | os.O_CREAT, 0o600)
        gate = -1
        try:
            gate = os.open(self._gate, os.O_RDWR | os.O_CREAT, 0o600)
            _lock(turnstile, deadline, self._wait_s)
            _lock(gate, deadline, self._wait_s)
        except BaseException:
            if gate >= 0:
                os.close(gate)
            raise
        finally:
            os.close(turnstile)  # closing a descriptor releases its lock
        connection.hold(gate)
        return None if self._wait_s is None else max(0.0, deadline - time.monotonic())


def _lock(descriptor: int, deadline: float, wait_s: float | None) -> None:
    """Take the exclusive `flock` of `descriptor` before `deadline` (monotonic)."""
    if wait_s is None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        return
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        now = time.monotonic()
        if now >= deadline:
            raise WriterTurnTimeout(
                f"another writer of the database kept its turn longer than {wait_s:g} s")
        time.sleep(min(_poll_pause(now - started), deadline - now))


def _poll_pause(waited_s: float) -> float:
    """How long a writer waiting `waited_s` pauses before it looks again."""
    return _NEWCOMER_POLL_S if waited_s < _NEWCOMER_S else _WAITER_POLL_S


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that lets the next writer in once its transaction has ended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The pool may invalidate a connection from another thread while its own thread
        # ends its transaction: the gate is let go once, never its descriptor closed twice
        # (the second close could close a file opened meanwhile under the same number).
        self._turn = threading.Lock()
        self.gate = -1  # the descriptor holding the gate while this connection writes

    def hold(self, gate: int) -> None:
        with self._turn:
            self.gate = gate

    def commit(self) -> None:
        with self._turn_ending():
            super().commit()

    def rollback(self) -> None:
        with self._turn_ending():
            super().rollback()

    def close(self) -> None:
        with self._turn_ending():
            super().close()

    @contextlib.contextmanager
    def _turn_ending(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.leave()

    def leave(self) -> None:
        """Let the next writer in (nothing if this connection holds no turn)."""
        with self._turn:
            gate, self.gate = self.gate, -1
            if gate >= 0:
                os.close(gate)  # closing the descriptor releases its lock
