"""Writers of the embedded SQLite store take turns: a process writing back to back (the
worker) does not starve another writer (the API), which gets the very next turn."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import sqlalchemy as sa

from hub.store.engine import create_engine, reader_engine

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
