"""An embedded hub (SQLite file, file-system broker) for tests that run real worker
processes beside it, and pushes of generated fiches into it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ops.admin import initialise
from tests.factories import make_fiche, make_network, other_porteur, record_consents

OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


@pytest.fixture
def embedded(tmp_path) -> Iterator[tuple[dict[str, str], Hub]]:
    """An embedded hub (SQLite file, file-system broker) publishing to the real broker."""
    env = {"HUB_DATA_DIR": str(tmp_path / "data"), "HUB_SWEEP_INTERVAL_S": "1",
           "HUB_OUTBOX_REPUBLISH_AFTER_S": "2", "HUB_LOG_LEVEL": "WARNING"}
    settings = Settings.from_env(env)
    initialise(settings)
    hub = Hub.from_settings(settings)
    load_network(hub, make_network(tmp_path / "network.json", [OWNER.member_id]), tmp_path / "c")
    yield env, hub
    hub.close()


def push(hub: Hub, first: int, count: int) -> None:
    fiches = [make_fiche(fiche_id=f"F-{first + i}", porteur=other_porteur(first + i))
              for i in range(count)]
    record_consents(hub, fiches)
    assert ingest.push_batch(hub, OWNER, fiches)["accepted"] == count


