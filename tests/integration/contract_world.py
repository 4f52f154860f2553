"""A small network served by the real app on a real database, with every kind of
credential a partner can hold: members (accueil, accompagnement, coordination) and
DPOs (network scope, member scope), each request signed per RFC 9421 as the docs say.
Shared by the contract tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher

OWNER, RECIPIENT, NETWORK = "commune-ambert", "cci-thiers", "pnr-livradois"
CREDENTIALS = (OWNER, RECIPIENT, NETWORK, f"{NETWORK}.dpo", f"{RECIPIENT}.dpo")


def network_document() -> dict:
    def member(member_id: str, kind: str, role: str, **extra: object) -> dict:
        return {"id": member_id, "nom": f"Membre {member_id}", "nature": kind, "role": role,
                "contact": {"courriel": f"{member_id}@exemple.fr"}, **extra}

    return {"reseau": "t", "membres": [
        member(OWNER, "commune", "accueil", territoire=["63003"],
               abonnements=[{"communes": ["63003"]}]),
        member(RECIPIENT, "cci", "accompagnement", abonnements=[{"communes": ["63003"]}],
               dpo={"portee": "membre"}),
        member(NETWORK, "pnr", "coordination", dpo={"portee": "reseau"}),
    ]}


@dataclass
class ContractWorld:
    hub: Hub
    client: TestClient
    folder: Path

    def creds(self, name: str) -> Credentials:
        return Credentials(self.folder / f"{name}.json")

    def call(self, name: str, method: str, target: str, body: object = None,
             raw: bytes | None = None):
        content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        headers = self.creds(name).rfc9421_headers(method, target, content)
        return self.client.request(method, target, content=content, headers=headers)


@pytest.fixture
def contract(db_url, tmp_path) -> Iterator[ContractWorld]:
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document()))
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher())
    load_network(hub, path, tmp_path / "creds")
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield ContractWorld(hub, client, tmp_path / "creds")
    hub.close()
