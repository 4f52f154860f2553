"""`capactif init` on PostgreSQL waits for another init (an advisory lock): it waited
without a word, for as long as the other one held the lock (a holder stopped, or stuck
on a lock of its own, kept every process of the deployment from starting, silently)."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from hub.config import Settings
from hub.services.ops import admin

pytestmark = pytest.mark.integration


class _Heard(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.waiting = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting for another capactif init" in record.getMessage():
            self.waiting.set()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_init_waiting_for_another_says_so_then_runs(db_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    holder = sa.create_engine(db_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    heard = _Heard()
    logging.getLogger("hub").addHandler(heard)
    done: list[object] = []
    waiting = threading.Thread(target=lambda: done.append(admin.initialise(settings)))
    try:
        with holder.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(%(key)s)", {"key": admin._INIT_LOCK})
            waiting.start()
            said = heard.waiting.wait(120)
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%(key)s)", {"key": admin._INIT_LOCK})
        waiting.join(300)
        assert said
        assert done and not waiting.is_alive()
    finally:
        logging.getLogger("hub").removeHandler(heard)
        holder.dispose()
