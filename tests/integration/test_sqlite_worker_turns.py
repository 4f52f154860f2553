"""On SQLite a push waits for the worker's write transaction under way: the worker looks
for a waiting writer every few fiches (`Settings.transaction_step`) and, when one waits,
commits what it has done and lets it in, rather than finishing its whole transaction.
Before, a push waited for all of the worker's transaction (25 fiches by default, 100
here)."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import make_fiche, make_network, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration

CCI = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")
FICHES = 100


@pytest.fixture
def sqlite_hub(sqlite_template, tmp_path) -> Iterator[Hub]:
    path = tmp_path / "hub.sqlite3"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{path}",
                        worker_transaction_size=FICHES)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(hub, make_network(tmp_path / "network.json", [CCI.member_id]),
                 tmp_path / "credentials")
    yield hub
    hub.close()


def _gate_held(database: Path) -> bool:
    gate = os.open(f"{database}.gate", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(gate)
    return False


def test_a_worker_transaction_lets_a_waiting_writer_in_before_its_end(sqlite_hub, tmp_path):
    fiches = [make_fiche(fiche_id=f"F-{i}", porteur=other_porteur(i)) for i in range(FICHES)]
    record_consents(sqlite_hub, fiches)
    ingest.push_batch(sqlite_hub, CCI, fiches)
    outbox_ids = [i for published in sqlite_hub.publisher.published for i in published]
    processed_seen: list[int] = []

    def writer_arriving_while_the_worker_writes() -> None:
        while not _gate_held(tmp_path / "hub.sqlite3"):
            pass
        # a write transaction (it waits for its turn): what the worker had committed then
        processed_seen.append(processing.pipeline_status(sqlite_hub)["processed"])

    writer = threading.Thread(target=writer_arriving_while_the_worker_writes, daemon=True)
    writer.start()
    assert processing.process_outbox(sqlite_hub, outbox_ids).claimed == FICHES
    writer.join(60)
    assert processing.pipeline_status(sqlite_hub)["processed"] == FICHES
    assert processed_seen and processed_seen[0] < FICHES, processed_seen
