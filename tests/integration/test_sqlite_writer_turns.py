"""Writers of the embedded SQLite store take turns: a process writing back to back (the
worker) does not starve another writer (the API), which gets the very next turn."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.config import Settings
from hub.store import engine as engine_module
from hub.store.deadlines import Deadlines
from hub.store.engine import create_engine, reader_engine
from tests.fakes.publisher import RecordingPublisher

_WRITER = textwrap.dedent("""
    import sys, time
    from hub.store.engine import create_engine, reader_engine
    engine = create_engine(sys.argv[1])
    while True:  # write transactions back to back, each holding the lock a while
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO turns (writer) VALUES ('busy')")
            time.sleep(0.02)
""")


def _count(reader: sa.Engine) -> int:
    with reader.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM turns").scalar_one())


def test_a_writer_waiting_for_a_busy_writer_gets_the_next_turn(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE turns (id INTEGER PRIMARY KEY, writer TEXT)")
    busy = subprocess.Popen([sys.executable, "-c", _WRITER, url], cwd=Path(__file__).parents[2])
    reader = reader_engine(engine)
    gaps = []
    try:
        while _count(reader) < 5:  # the busy writer is at work
            time.sleep(0.01)
        for _ in range(5):
            asked = _count(reader)
            with engine.begin() as conn:
                got = conn.exec_driver_sql("SELECT count(*) FROM turns").scalar_one()
                conn.exec_driver_sql("INSERT INTO turns (writer) VALUES ('api')")
            gaps.append(got - asked)
    finally:
        busy.kill()
        busy.wait()
        engine.dispose()
    # Between asking for the lock and getting it, the busy writer committed at most the
    # transaction it was in and the one it had begun before this writer queued (on its
    # own timer, SQLite let the busy writer commit again and again).
    assert max(gaps) <= 2, gaps


def test_a_commit_does_not_wait_for_the_writer_queued_behind_it(tmp_path: Path, sqlite_template):
    """A unit of work's commit ends its turn and returns: the next transaction begins
    only with the next statement. Before, commit began the next one at once, so it
    queued behind the waiting writer and returned only when that writer had finished."""
    shutil.copy(sqlite_template, tmp_path / "hub.sqlite3")
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'hub.sqlite3'}")
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    other_may_end, other_has_turn, committed = threading.Event(), threading.Event(), threading.Event()

    def other_writer() -> None:
        with hub.engine.begin() as conn:  # waits for the unit of work's turn, then holds it
            other_has_turn.set()
            conn.exec_driver_sql("SELECT 1")
            other_may_end.wait(30)

    try:
        with hub.uow() as uow:
            uow.markers.set("essai", "1")
            waiting = threading.Thread(target=other_writer)
            waiting.start()
            time.sleep(0.2)  # the other writer now waits in the queue
            commit = threading.Thread(target=lambda: (uow.commit(), committed.set()))
            commit.start()
            assert other_has_turn.wait(10)
            assert committed.wait(10), "the commit waited for the other writer's transaction"
            other_may_end.set()
            commit.join()
            waiting.join()
            assert uow.markers.get("essai") == "1"  # the next statement begins a transaction
    finally:
        other_may_end.set()
        hub.close()


def test_the_next_writer_gets_its_turn_only_once_the_commit_has_completed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The turn used to end at SQLAlchemy's `commit` event, before the COMMIT ran: the next
    writer's BEGIN IMMEDIATE then met SQLite's lock and its timed retries (here, BEGIN's
    wait for SQLite's lock cut to 50 ms makes that an error; the turn itself is waited
    for up to 10 s)."""
    begin_within = engine_module._begin_within
    monkeypatch.setattr(engine_module, "_begin_within",
                        lambda connection, driver, mode, left_s, busy_ms: begin_within(
                            connection, driver, mode, min(left_s, 0.05), busy_ms))
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    engine = create_engine(url, deadlines=Deadlines(lock_s=10))

    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE turns (id INTEGER PRIMARY KEY, writer TEXT)")
    second_started, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    @sa.event.listens_for(engine, "commit")
    def _first_commit_held(_connection: sa.Connection) -> None:
        # Between the `commit` event and the COMMIT itself, give the second writer its
        # chance: before, it was let in and failed on SQLite's lock.
        if threading.current_thread() is not second:
            assert second_started.wait(10)
            second_done.wait(1)

    def second_writer() -> None:
        second_started.set()
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO turns (writer) VALUES ('second')")
        except BaseException as exc:
            errors.append(exc)
        finally:
            second_done.set()

    second = threading.Thread(target=second_writer)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO turns (writer) VALUES ('first')")
            second.start()
        second.join(30)
        assert not errors, errors
        with reader_engine(engine).connect() as conn:
            writers = conn.exec_driver_sql("SELECT writer FROM turns ORDER BY id").scalars().all()
        assert writers == ["first", "second"]
    finally:
        second_done.set()
        second.join(30)
        engine.dispose()
