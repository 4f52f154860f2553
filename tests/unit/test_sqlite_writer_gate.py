"""The writer's turn of a SQLite connection is let go once, whichever threads end it."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from hub.store.sqlite_writers import GatedConnection


class _SlowToRead(GatedConnection):
    """A connection whose gate takes a while to read: the window in which another
    thread (the pool invalidating the connection) may end the same turn."""

    @property  # type: ignore[override]
    def gate(self) -> int:
        gate = int(self.__dict__.get("_gate", -1))
        time.sleep(0.05)
        return gate

    @gate.setter
    def gate(self, value: int) -> None:
        self.__dict__["_gate"] = value


def test_a_turn_ended_by_two_threads_at_once_is_let_go_once(tmp_path: Path):
    connection: Any = sqlite3.connect(tmp_path / "hub.sqlite3", factory=_SlowToRead,
                                      check_same_thread=False)
    connection.gate = os.open(tmp_path / "hub.sqlite3.gate", os.O_RDWR | os.O_CREAT, 0o600)
    both = threading.Barrier(2)
    errors: list[BaseException] = []

    def end_turn() -> None:
        both.wait()
        try:
            connection.leave()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=end_turn) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()
    # Before, both threads closed the descriptor: the second close failed or, had a file
    # been opened meanwhile under the same number, closed that file.
    assert errors == []
