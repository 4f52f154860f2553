"""Real local HTTP servers for connector tests: the protocol hub stub and a fake CRM."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from capactif_demo.sim.hub_stub import HubStub
from connectors.client import HubClient

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"


@pytest.fixture
def hub() -> Iterator[HubStub]:
    with HubStub() as stub:
        yield stub


@pytest.fixture
def credentials(hub) -> dict[str, str]:
    return hub.add_member("commune-ambert")


@pytest.fixture
def credentials_file(tmp_path, credentials) -> Path:
    path = tmp_path / "identifiants.json"
    path.write_text(json.dumps(credentials), encoding="utf-8")
    return path


@pytest.fixture
def client(credentials_file) -> Iterator[HubClient]:
    with HubClient.from_credentials_file(credentials_file, retries=2, backoff_s=0.01) as c:
        yield c
