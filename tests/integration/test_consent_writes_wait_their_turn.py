"""On the embedded SQLite store, the consent registry's writes (a notice registered, a
withdrawal or erasure notice sent, its acknowledgement) wait for their turn like every
other writer while the worker writes: they used to read first in a DEFERRED transaction
and fail at once with "database is locked" (a 503 `store_timeout` a few milliseconds
after the request, never the documented wait of HUB_DATABASE_LOCK_TIMEOUT_S)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.ops.admin import initialise
from hub.services.privacy import information_notices
from hub.store.engine import reader_engine
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration

MEMBER = Caller("commune-ambert", "Commune d'Ambert", "commune", "accueil")

_WORKER_LIKE = textwrap.dedent("""
    import sys, time
    from hub.store.engine import create_engine
    engine = create_engine(sys.argv[1])
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS turns (id INTEGER PRIMARY KEY)")
    while True:  # write transactions back to back, as a worker processing a batch
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO turns DEFAULT VALUES")
            time.sleep(0.02)
""")


def _writes_seen(hub: Hub) -> int:
    with reader_engine(hub.engine).connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'turns'").scalar_one()
        return int(conn.exec_driver_sql("SELECT count(*) FROM turns").scalar_one()) if found else 0


def _wait_for_writes(hub: Hub, busy: subprocess.Popen[bytes], count: int) -> None:
    """Until the other writer made `count` writes; an AssertionError when it died first
    (its writes would never come: the test would hang)."""
    while _writes_seen(hub) < count:
        assert busy.poll() is None, f"the other writer exited ({busy.returncode})"
        time.sleep(0.01)


def test_a_writer_that_dies_fails_the_wait_instead_of_hanging(tmp_path: Path):
    settings = Settings.from_env({"HUB_DATA_DIR": str(tmp_path / "d")})
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    try:
        with pytest.raises(AssertionError, match="exited"):
            _wait_for_writes(hub, dead, 5)
    finally:
        dead.wait()
        hub.close()


def test_consent_registry_writes_wait_for_a_busy_writer_instead_of_failing(tmp_path: Path):
    settings = Settings.from_env({"HUB_DATA_DIR": str(tmp_path / "d")})
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    busy = subprocess.Popen([sys.executable, "-c", _WORKER_LIKE, str(hub.engine.url)],
                            cwd=Path(__file__).parents[2])
    try:
        _wait_for_writes(hub, busy, 5)  # the other writer is at work
        for n in range(15):
            information_notices.register_notice(hub, MEMBER, {
                "texte": f"Notice {n} : vos données servent à vous orienter.", "langue": "fr",
                "finalites": ["orientation"]})
            hub.consents.notice_sent(f"cns_{n}", "cci-thiers", hub.clock())
            hub.consents.acknowledge(f"cns_{n}", "cci-thiers", hub.clock())
        assert busy.poll() is None  # the writer was busy all along
    finally:
        busy.kill()
        busy.wait()
        hub.close()
