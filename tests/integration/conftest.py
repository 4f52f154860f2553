from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import Credentials, make_network
from tests.fakes.publisher import RecordingPublisher
from tests.integration.contract_world import contract  # noqa: F401  (a fixture shared by modules)
from tests.integration.world import network  # noqa: F401  (a fixture shared by modules)

MEMBERS = ["cci-puy-de-dome", "pfil-livradois-forez"]


@pytest.fixture
def hub(db_url, tmp_path) -> Iterator[Hub]:
    """A hub on a real database (SQLite file, then PostgreSQL), with members loaded
    and a publisher that records what it publishes."""
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(hub, make_network(tmp_path / "network.json", MEMBERS), tmp_path / "credentials")
    yield hub
    hub.close()


@pytest.fixture
def client(hub) -> Iterator[TestClient]:
    """The `hub` fixture's API, over HTTP in process (fastapi's TestClient)."""
    with TestClient(create_app(hub=hub)) as client:
        yield client


@pytest.fixture
def credentials(hub, tmp_path) -> dict[str, Credentials]:
    return {m: Credentials(tmp_path / "credentials" / f"{m}.json") for m in MEMBERS}


@pytest.fixture
def coordination(db_url, tmp_path) -> Iterator[dict]:
    """The console's small network (tests/console_world.py) on a real database, with a
    settable clock and a coordination session."""
    from tests.console_world import coordination_world

    built = coordination_world(db_url, tmp_path)
    yield built
    built["hub"].close()
