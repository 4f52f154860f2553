"""Stepped races between two sides of the hub on PostgreSQL: one side runs in a thread of
its own until it is done or waits for a lock the other holds, never for a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa


class Side(threading.Thread):
    """One side of the race in a thread of its own, its answer or error kept."""

    def __init__(self, run: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.run_it, self.answer, self.error = run, None, None

    def run(self) -> None:
        try:
            self.answer = self.run_it()
        except Exception as exc:  # the test names it
            self.error = exc


def done_or_waiting_for_a_lock(hub: Any, side: Side) -> Callable[[], bool]:
    """For `wait_until`: the side has ended, or a session of the database waits for a lock."""
    def check() -> bool:
        if not side.is_alive():
            return True
        with hub.engine.connect() as conn:
            return bool(conn.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'")))
    return check
