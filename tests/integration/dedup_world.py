"""A small network for the deduplication tests: two members that push fiches (a commune
and a chamber), a PFIL that follows Ambert, and the network's coordination."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.accounts.sessions import ConsoleSession
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.matching import duplicates
from tests.factories import Clock, Credentials, make_fiche, record_consents
from tests.fakes.publisher import RecordingPublisher

COMMUNE = Caller("commune-ambert", "Mairie", "commune", "accueil")
CCI = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")
PFIL = Caller("pfil-livradois", "PFIL", "pfil", "financement")
COORDINATOR = Caller("pnr-livradois-forez", "PNR", "pnr", "coordination")
AMBERT = "63003"
# The coordination as the duplicate queue's services name the one who acts.
ACTOR = COORDINATOR.member_id

PERSON = {"nom": "Chassaing", "prenom": "Marie-Hélène", "date_naissance": "1988-04-12",
          "courriel": "mh.chassaing@exemple.fr", "telephone": "04 73 82 10 45",
          "adresse": {"ligne": "12 rue de la Filature", "code_postal": "63600",
                      "commune": "Ambert", "code_insee": AMBERT}}
RETYPED = {"nom": "CHASSAING", "prenom": "Marie Helene", "date_naissance": "1988-04-12",
           "telephone": "0473821045",
           "adresse": {"ligne": "12 r. de la Filature", "code_postal": "63600", "commune": "AMBERT"}}
NAMES_ONLY = {"nom": "Chassaing", "prenom": "Marie-Hélène"}
# What the CCI gives of the person (names and birth date), and the roles of a consent that
# leaves the coordination out (the duplicate queue's hidden sides).
VISIBLE = {**NAMES_ONLY, "date_naissance": PERSON["date_naissance"]}
NOT_FOR_COORDINATION = ["accueil", "accompagnement", "financement"]
# A coordinator's console session (account "coord"), for the console's services.
COORDINATION_SESSION = ConsoleSession("u1", "coord", "coordinator", COORDINATOR.member_id, "x",
                                      dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


def hub_for(db_url: str, tmp_path: Path, **settings: Any) -> Iterator[tuple[Hub, Clock]]:
    members = [_member(COMMUNE), _member(CCI), _member(PFIL, follows=True), _member(COORDINATOR)]
    (tmp_path / "network.json").write_text(json.dumps({"reseau": "test", "membres": members}))
    clock = Clock()
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=db_url, **settings),
                            publisher=RecordingPublisher(), clock=clock)
    load_network(hub, tmp_path / "network.json", tmp_path / "creds")
    yield hub, clock
    hub.close()


def api_world(db_url: str, tmp_path: Path) -> Iterator[tuple[Hub, TestClient, Path]]:
    """The network's hub behind real HTTP (the API and the console, cookies over plain
    HTTP), with the folder of the members' credentials."""
    for hub, _clock in hub_for(db_url, tmp_path, console_cookie_secure=False):
        with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                        raise_server_exceptions=False) as client:
            yield hub, client, tmp_path / "creds"


@pytest.fixture(name="world")
def world_behind_http(db_url: str, tmp_path: Path) -> Iterator[tuple[Hub, TestClient, Path]]:
    """`api_world` as a test module's `world` fixture (the module imports it to use it)."""
    yield from api_world(db_url, tmp_path)


@pytest.fixture(name="world")
def world_in_process(db_url: str, tmp_path: Path) -> Iterator[tuple[Hub, Clock]]:
    """`hub_for` as a test module's `world` fixture: the hub and its clock (the module
    imports it to use it)."""
    yield from hub_for(db_url, tmp_path)


@pytest.fixture(name="hub")
def hub_in_process(db_url: str, tmp_path: Path) -> Iterator[Hub]:
    """`hub_for`'s hub alone as a test module's `hub` fixture, in place of the one of
    tests/integration/conftest.py (the module imports it to use it)."""
    for hub, _clock in hub_for(db_url, tmp_path):
        yield hub


def coordination_get(client: TestClient, creds: Path, target: str) -> Any:
    """GET `target` over `api_world`'s HTTP, signed by the coordination."""
    signer = Credentials(creds / f"{COORDINATOR.member_id}.json")
    return client.get(target, headers=signer.rfc9421_headers("GET", target, b""))


def coordination_post(client: TestClient, creds: Path, target: str, body: Any) -> Any:
    """POST `body` (JSON) to `target` over `api_world`'s HTTP, signed by the coordination."""
    data = json.dumps(body).encode()
    signer = Credentials(creds / f"{COORDINATOR.member_id}.json")
    return client.post(target, content=data, headers=signer.rfc9421_headers("POST", target, data))


def pg_hub_for(postgres_url: str, tmp_path: Path, **settings: Any
               ) -> Iterator[tuple[Hub, Clock]]:
    """`hub_for` on a fresh PostgreSQL database of its own, dropped afterwards."""
    from tests.conftest import _drop_pg_database, _fresh_pg_database

    url = _fresh_pg_database(postgres_url)
    try:
        yield from hub_for(url, tmp_path, **settings)
    finally:
        _drop_pg_database(url)


def _member(caller: Caller, follows: bool = False) -> dict[str, Any]:
    member = {"id": caller.member_id, "nom": caller.member_id, "nature": caller.kind,
              "role": caller.role, "contact": {"courriel": f"{caller.member_id}@exemple.fr"}}
    if follows:
        member["abonnements"] = [{"communes": [AMBERT]}]
    return member


def fiche_of(caller: Caller, fiche_id: str, porteur: dict[str, Any], version: int = 1) -> dict:
    return make_fiche(member=caller.member_id, fiche_id=fiche_id, version=version,
                      porteur={**porteur})


def push(hub: Hub, caller: Caller, *fiches: dict, process: bool = True,
         consent: bool = True) -> list[int]:
    """Push (recording a consent for every role and purpose unless `consent` is False)."""
    if consent:
        record_consents(hub, [f for f in fiches if f["version"] == 1])
    answer = ingest.push_batch(hub, caller, list(fiches))
    assert answer["accepted"] == len(fiches), answer
    ids = hub.publisher.published[-1]
    if process:
        processing.process_outbox(hub, ids)
    return ids


def merged_by_the_coordination(hub: Hub) -> Any:
    """The commune's A-1 (the person) and the CCI's C-1 (what the CCI gives of her) merged
    by the coordination's « same »: the consent record of C-1."""
    from hub.services.matching import duplicates

    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    later = fiche_of(CCI, "C-1", VISIBLE)
    [record] = record_consents(hub, [later])
    push(hub, CCI, later, consent=False)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "same", actor=ACTOR,
                      confirmed=duplicates.flags_of(item["explication"]))
    return record


def porteur_of(hub: Hub, caller: Caller, fiche_id: str) -> str:
    with hub.uow() as uow:
        return uow.fiches.porteur_of(caller.member_id, fiche_id).porteur_id


def links_of(hub: Hub, caller: Caller, fiche_id: str) -> list[Any]:
    import sqlalchemy as sa

    from hub.store.tables import fiche_links

    with hub.uow() as uow:
        pk = uow.fiches.porteur_of(caller.member_id, fiche_id).id
        return list(uow.connection.execute(
            sa.select(fiche_links).where(fiche_links.c.fiche_pk == pk).order_by(fiche_links.c.id)))


# Sessions of this database waiting for a lock another transaction holds (a key stripe is a
# row of `match_lock_stripes`: its waiter waits for the holder's transaction).
WAITING_FOR_A_LOCK = ("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                      "current_database() AND wait_event_type = 'Lock'")


def takes_stripe(conn: Any, stripe: int) -> bool:
    """Whether `conn`'s transaction locks the key stripe now, without waiting (PostgreSQL)."""
    import sqlalchemy as sa

    return conn.execute(sa.text(
        "SELECT n FROM match_lock_stripes WHERE n = :n FOR UPDATE SKIP LOCKED"),
        {"n": stripe}).first() is not None


# A home at Thiers, where no subscription of the network reaches.
THIERS_HOME = {"ligne": "1 place de la Mairie", "code_postal": "63300", "commune": "Thiers",
               "code_insee": "63430"}


def data_read_by(hub: Hub, caller: Caller, after: int = 0) -> list[dict[str, Any]]:
    """The deliveries of the caller's feed after `after` that carry a fiche (no notice)."""
    from hub.services.delivery.feed import read_feed

    return [d for d in read_feed(hub, caller, after, 500)["deliveries"] if "fiche" in d]


def decided_same(hub: Hub, client: TestClient, creds: Path, fiche_ids: set[str]) -> None:
    """The coordination's « same » over HTTP on the open item between `fiche_ids`, each of
    the hub's flags confirmed."""
    [item] = [i for i in duplicates.list_review_items(hub, actor=ACTOR)["items"]
              if {s["fiche_id"] for s in i["cotes"]} == fiche_ids]
    read = duplicates.get_review_item(hub, item["id"], actor=ACTOR)
    answer = coordination_post(client, creds, f"/v1/duplicates/{item['id']}/decision", {
        "decision": "same", "confirme": duplicates.flags_of(read["explication"]),
        "revision": read["revision"]})
    assert answer.status_code == 200, answer.text
