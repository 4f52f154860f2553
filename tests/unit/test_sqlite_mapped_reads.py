"""SQLite reads the hub's database through a memory map, and still sees every commit."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub, _worker_hub
from hub.config import Settings
from hub.store.engine import SQLITE_MMAP_BYTES, create_engine, reader_engine
from tests.fakes.publisher import RecordingPublisher


def _engine(tmp_path: Path) -> sa.Engine:
    return create_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")


def _mapped_bytes(hub: Hub) -> set[int]:
    readers = reader_engine(hub.engine)  # two at once: reads take no writer's turn
    try:
        with readers.connect() as first, readers.connect() as second:
            return {conn.exec_driver_sql("PRAGMA mmap_size").scalar_one()
                    for conn in (first, second)}
    finally:
        hub.close()


@pytest.mark.parametrize("megabytes", [2047, 16, 0])
def test_every_sqlite_connection_of_a_worker_s_hub_maps_as_much_of_its_file_as_set(
        tmp_path: Path, megabytes: int):
    settings = Settings(data_dir=tmp_path / "var", sqlite_mmap_mb=megabytes)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), mapped_reads=True)
    assert _mapped_bytes(hub) == {megabytes * 2**20}


def test_the_worker_process_s_hub_maps_its_file(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "var", sqlite_mmap_mb=16)
    assert _mapped_bytes(_worker_hub(settings)) == {16 * 2**20}


def test_the_api_s_hub_never_maps_its_file_whatever_the_setting(tmp_path: Path):
    """A file cut short under a mapped reader is a SIGBUS: the API answers 503 instead
    (tests/integration/test_truncated_database_processes.py)."""
    settings = Settings(data_dir=tmp_path / "var", sqlite_mmap_mb=2047)
    assert _mapped_bytes(Hub.from_settings(settings, publisher=RecordingPublisher())) == {0}


def test_the_hub_maps_its_sqlite_file_unless_told_otherwise():
    assert Settings().sqlite_mmap_mb * 2**20 == SQLITE_MMAP_BYTES > 0


def test_a_mapped_reader_sees_rows_another_connection_committed_after_its_first_read(
        tmp_path: Path):
    writer_engine, reading_engine = _engine(tmp_path), _engine(tmp_path)
    with writer_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)")
        conn.exec_driver_sql("INSERT INTO t (n, v) VALUES (1, 'avant')")
    with reader_engine(reading_engine).connect() as reader:
        assert reader.exec_driver_sql("SELECT v FROM t WHERE n = 1").scalar_one() == "avant"
        reader.rollback()
        with writer_engine.begin() as conn:  # pages past the map's first read, and in the WAL
            conn.exec_driver_sql("UPDATE t SET v = 'après' WHERE n = 1")
            conn.exec_driver_sql("INSERT INTO t (n, v) WITH RECURSIVE s(n) AS (SELECT 2 UNION "
                                 "ALL SELECT n + 1 FROM s WHERE n < 5000) SELECT n, 'x' FROM s")
        with contextlib.closing(sqlite3.connect(tmp_path / "hub.sqlite3")) as plain:
            busy, *_frames = plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0  # the pages are now in the mapped file itself
        assert reader.exec_driver_sql("SELECT v FROM t WHERE n = 1").scalar_one() == "après"
        assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 5000
    writer_engine.dispose()
    reading_engine.dispose()
