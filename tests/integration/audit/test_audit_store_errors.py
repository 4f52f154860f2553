"""The access log's service functions called outside a unit of work (the whole export of
`capactif audit export`, the console's and the API's; an event recorded after the
business commit) on a store held past the lock deadline, on both databases: they raised
the driver's error (sqlalchemy's OperationalError: LockNotAvailable, WriterTurnTimeout),
which the tasks do not retry and the callers cannot tell from a fault of the hub. They
raise the hub's StoreTimeout (a StoreUnavailable: 503 `store_timeout`, retried by the
tasks); the command says it in one bilingual line and exits 1."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import StoreTimeout
from hub.services.audit import trail
from tests.fakes.publisher import RecordingPublisher
from tests.integration.held_tables import store_held

pytestmark = pytest.mark.integration


@pytest.fixture
def hub(db_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                        database_lock_timeout_s=1)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    trail.record(hub, [trail.event(hub, "search", "pnr-livradois", user="before")])
    yield hub
    hub.close()


def test_the_whole_export_on_a_store_held_raises_the_hubs_store_timeout(hub, db_url):
    with store_held(db_url), pytest.raises(StoreTimeout):
        trail.export_whole(hub, io.StringIO(), "pnr-livradois")


def test_an_event_recorded_on_a_store_held_raises_the_hubs_store_timeout(hub, db_url):
    with store_held(db_url), pytest.raises(StoreTimeout):
        trail.record(hub, [trail.event(hub, "search", "pnr-livradois", user="held")])


def test_the_export_command_on_a_store_held_says_store_timeout_and_exits_1(hub, db_url,
                                                                           tmp_path):
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DATABASE_URL": db_url,
           "HUB_DATABASE_LOCK_TIMEOUT_S": "1"}
    with store_held(db_url):
        done = subprocess.run(
            [sys.executable, "-m", "hub.cli", "audit", "export", "--output",
             str(tmp_path / "log.jsonl")], env=env, text=True, capture_output=True,
            timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1, done.stderr
    said = [line.split()[1].rstrip(":") for line in done.stderr.splitlines()
            if line.startswith(("erreur", "error"))]
    assert said == ["(store_timeout)"] * 2, done.stderr
