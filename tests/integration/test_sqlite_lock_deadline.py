"""A SQLite writer waits for its turn (the writer gate) and then for SQLite's write lock
(held by a writer that does not pass the gate: a `sqlite3` shell, a restore): both
waits together last no longer than the lock deadline. Before, each had the whole
deadline, and a writer could wait twice `HUB_DATABASE_LOCK_TIMEOUT_S`."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from hub.errors import StoreTimeout
from hub.store.deadlines import Deadlines
from hub.store.engine import create_engine, store_errors

pytestmark = [pytest.mark.integration]

LOCK_S = 4.0


def test_the_turn_and_the_write_lock_share_one_lock_deadline(tmp_path: Path):
    path = tmp_path / "hub.sqlite3"
    engine = create_engine(f"sqlite:///{path}", deadlines=Deadlines(lock_s=LOCK_S))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    gate = os.open(f"{path}.gate", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(gate, fcntl.LOCK_EX)  # another writer's turn
    outside = sqlite3.connect(path, isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")  # a writer outside the gate holds the write lock
    started, outcome = threading.Event(), []

    def write() -> None:
        started.set()
        try:
            with store_errors(), engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            outcome.append("written")
        except BaseException as exc:
            outcome.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        started.wait()
        # The turn comes at half the deadline; the write lock a quarter past it: within
        # the busy timeout a writer got whole after its turn, not within one deadline.
        time.sleep(LOCK_S / 2)
        os.close(gate)
        time.sleep(LOCK_S * 3 / 4)
        outside.execute("COMMIT")
        writer.join(30)
    finally:
        outside.close()
        engine.dispose()
    assert outcome and isinstance(outcome[0], StoreTimeout), outcome
