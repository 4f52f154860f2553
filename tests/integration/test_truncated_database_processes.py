"""A SQLite file cut short under a running API process (a backup copied over the live file:
`cp` truncates it first): the API's hub reads its file without a memory map, so the next
read past the new end is `database_unreadable` (503), not a SIGBUS that kills the
process. Only a worker maps its file (`HUB_SQLITE_MMAP_MB`, `mapped_reads=True`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.integration

_CHILD = textwrap.dedent("""
    import sqlite3, sys
    from pathlib import Path
    from hub.bootstrap import Hub
    from hub.config import Settings
    from hub.errors import HubError
    from hub.services.ops.admin import initialise
    from tests.fakes.publisher import RecordingPublisher

    settings = Settings(data_dir=Path(sys.argv[1]))
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    path = settings.data_dir / "hub.sqlite3"
    with hub.engine.begin() as conn:  # some thousand pages past the cut to come
        conn.exec_driver_sql("CREATE TABLE filler (id INTEGER PRIMARY KEY, v BLOB)")
        conn.exec_driver_sql("INSERT INTO filler (v) WITH RECURSIVE s(n) AS (SELECT 1 UNION "
                             "ALL SELECT n + 1 FROM s WHERE n < 4000) SELECT randomblob(1000) "
                             "FROM s")
    plain = sqlite3.connect(path)
    plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    plain.close()
    with hub.uow() as uow:  # the pages read once (mapped, if the hub maps)
        uow.connection.exec_driver_sql("SELECT sum(length(v)) FROM filler").scalar_one()
    with open(path, "r+b") as database:
        database.truncate(path.stat().st_size // 4)
    try:
        with hub.uow() as uow:
            uow.connection.exec_driver_sql("SELECT sum(length(v)) FROM filler").scalar_one()
    except HubError as exc:
        print(exc.code, exc.status, flush=True)
""")


def test_a_database_file_cut_short_under_the_api_s_hub_is_a_503_not_a_crash(tmp_path):
    child = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "data")],
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert child.stdout.split() == ["database_unreadable", "503"], child.stderr[-2000:]
