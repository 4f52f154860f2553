"""Writers of one SQLite file take turns: a fair queue in front of SQLite's write lock.

SQLite lets a waiting writer retry on a timer (sleeps of up to 100 ms), so a process
that writes back to back (the worker) takes the lock again before a waiting API request
wakes up: the API's batches waited for the worker's whole backlog. Here each write
transaction (BEGIN IMMEDIATE) first passes a turnstile, then takes a gate, both
`flock` locks on files beside the database, which the kernel hands over at once. A
writer waiting for the gate holds the turnstile, so the writer that leaves the gate
cannot come back before it: writers alternate.

Locks are taken on descriptors opened for each transaction (never inherited by a fork).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

_HELD = "capactif_sqlite_writer_fds"


class WriterQueue:
    def __init__(self, database: Path) -> None:
        self._turnstile = f"{database}.turnstile"
        self._gate = f"{database}.gate"

    def enter(self, connection: sa.Connection) -> None:
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
        connection.info[_HELD] = gate

    @staticmethod
    def leave(info: dict[Any, Any]) -> None:
        """Let the next writer in (at commit or rollback, given the connection's `info`;
        nothing if it held no turn)."""
        gate = info.pop(_HELD, None)
        if gate is not None:
            os.close(gate)  # closing the descriptor releases its lock
