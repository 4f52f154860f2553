"""What a member reads of its subscriptions is what routes fiches to it, and reads back
through a PUT: a network file subscribing a member outside its territory is refused by
`capactif members load` (it loaded silently, and the member read communes routing
ignored, which a PUT of what it had read then refused, 403 `outside_territory`);
subscriptions stored before the bound are shown as routing bounds them. Real `capactif`
processes (the load, the API) on both stores, requests over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from capactif_demo.processes import capactif_command, free_port, running, start_api
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.ops.admin import initialise
from tests.factories import Credentials

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MEMBER = "pfil-ambert"
AMBERT, THIERS, CHAISE_DIEU = "63003", "63430", "43048"


def _network(folder: Path, subscriptions: list[dict]) -> Path:
    member = {"id": MEMBER, "nom": "PFIL", "nature": "pfil", "role": "financement",
              "contact": {"courriel": "pfil@exemple.fr"}, "territoire": [AMBERT],
              "abonnements": subscriptions}
    path = folder / "network.json"
    path.write_text(json.dumps({"reseau": "t", "membres": [member]}), encoding="utf-8")
    return path


@pytest.fixture
def env(db_url, tmp_path) -> dict[str, str]:
    settings = {"HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DATABASE_URL": db_url,
                "HUB_LOG_LEVEL": "WARNING", "HUB_RATE_LIMIT_WRITE": "100000/minute",
                "HUB_RATE_LIMIT_READ": "100000/minute",
                "HUB_RATE_LIMIT_PER_SOURCE": "100000/minute"}
    initialise(Settings.from_env(settings))
    return settings


def _load(env: dict[str, str], path: Path, creds: Path) -> subprocess.CompletedProcess:
    return subprocess.run(capactif_command("members", "load", str(path), "--credentials-dir",
                                           str(creds)),
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture
def api(env, tmp_path) -> Iterator[str]:
    port = free_port()
    with running([start_api(env, tmp_path / "logs", port)]):
        yield f"http://127.0.0.1:{port}"


def _call(url: str, creds: Credentials, method: str, body: bytes = b"") -> requests.Response:
    headers = creds.rfc9421_headers(method, "/v1/subscriptions", body)
    return requests.request(method, f"{url}/v1/subscriptions", data=body, headers=headers,
                            timeout=60)


def _read_then_put_back(url: str, creds: Credentials) -> tuple[dict, requests.Response]:
    read = _call(url, creds, "GET")
    assert read.status_code == 200, read.text
    return read.json(), _call(url, creds, "PUT", read.content)


def test_a_network_file_subscribing_a_member_outside_its_territory_is_refused(env, tmp_path):
    path = _network(tmp_path, [{"communes": [AMBERT, THIERS, CHAISE_DIEU],
                                "besoins": ["financement"]}])
    load = _load(env, path, tmp_path / "creds")
    assert load.returncode == 1, load.stdout + load.stderr
    assert "invalid_network_file" in load.stderr
    said = load.stderr.split("\nerror")[1]
    assert MEMBER in said and f"{CHAISE_DIEU}, {THIERS}" in said and AMBERT not in said
    assert "territoire" in said and "abonnements" in said  # where to fix it, in the file
    hub = Hub.from_settings(Settings.from_env(env))
    try:
        with hub.uow() as uow:
            assert uow.members.get(MEMBER) is None  # nothing loaded
    finally:
        hub.close()


def test_every_member_of_the_example_network_puts_back_the_subscriptions_it_reads(
        env, api, tmp_path):
    """The example network subscribed its PFIL to three communes outside its territory:
    it now loads with subscriptions in force only, and every member's GET reads back."""
    load = _load(env, ROOT / "examples" / "network.json", tmp_path / "creds")
    assert load.returncode == 0, load.stderr
    files = sorted(p for p in (tmp_path / "creds").glob("*.json") if ".dpo" not in p.name)
    assert len(files) > 20
    for file in files:
        creds = Credentials(file)
        read, put = _read_then_put_back(api, creds)
        assert put.status_code == 200, (creds.member_id, put.text)
        assert put.json() == read


def test_subscriptions_stored_outside_the_territory_are_read_as_routing_bounds_them(
        env, api, tmp_path):
    """Stored before the bound (by a network file an earlier release loaded): communes
    outside the territory are not shown, a subscription naming only such communes
    (it routes nothing) is not either; one naming no commune means the territory and is
    shown as stored. What is read is put back unchanged."""
    assert _load(env, _network(tmp_path, [{"communes": [AMBERT]}]), tmp_path / "creds") \
        .returncode == 0
    stored = [{"communes": [THIERS, AMBERT], "besoins": ["financement"]},
              {"communes": [CHAISE_DIEU], "stades": ["idee"]},
              {"besoins": ["local"]}]
    hub = Hub.from_settings(Settings.from_env(env))
    try:
        with hub.uow() as uow:
            uow.deliveries.replace_subscriptions(MEMBER, stored, "network", hub.clock())
            uow.commit()
    finally:
        hub.close()
    creds = Credentials(tmp_path / "creds" / f"{MEMBER}.json")
    read, put = _read_then_put_back(api, creds)
    assert read == {"abonnements": [{"communes": [AMBERT], "besoins": ["financement"]},
                                    {"besoins": ["local"]}]}
    assert put.status_code == 200, put.text
    assert _call(api, creds, "GET").json() == read
