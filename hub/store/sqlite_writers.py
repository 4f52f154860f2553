"""Writers of one SQLite file take turns: a fair queue in front of SQLite's write lock.

SQLite lets a waiting writer retry on a timer (sleeps of up to 100 ms), so a process
that writes back to back (the worker) takes the lock again before a waiting API request
wakes up: the API's batches waited for the worker's whole backlog. Here each write
transaction (BEGIN IMMEDIATE) first passes a turnstile, then takes a gate, both
`flock` locks on files beside the database, which the kernel hands over at once. A
writer waiting for the gate holds the turnstile, so the writer that leaves the gate
cannot come back before it: writers alternate.

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
from collections.abc import Iterator
from pathlib import Path


class WriterQueue:
    def __init__(self, database: Path) -> None:
        self._turnstile = f"{database}.turnstile"
        self._gate = f"{database}.gate"

    def enter(self, connection: GatedConnection) -> None:
        """Wait for this connection's turn to write (call before BEGIN IMMEDIATE)."""
        turnstile = os.open(self._turnstile, os.O_RDWR | os.O_CREAT, 0o600)
        gate = -1
        try:
            gate = os.open(self._gate, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(gate, fcntl.LOCK_EX)
        except BaseException:
            if gate >= 0:
                os.close(gate)
            raise
        finally:
            os.close(turnstile)  # closing a descriptor releases its lock
        connection.gate = gate


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that lets the next writer in once its transaction has ended."""

    gate = -1  # the descriptor holding the gate while this connection writes

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
        gate, self.gate = self.gate, -1
        if gate >= 0:
            os.close(gate)  # closing the descriptor releases its lock
