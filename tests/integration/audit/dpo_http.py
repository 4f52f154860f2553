"""The access log's DPO routes behind a real HTTP server: a network (an owner with a
member DPO, a recipient reading its feed, the coordination with the network's DPO), one
fiche delivered and read, and signed calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.api.app import create_app
from hub.audit.events import AccessEvent
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.audit import trail
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.e2e.browser import served
from tests.factories import Credentials, make_fiche, record_consents
from tests.fakes.publisher import RecordingPublisher

OWNER, RECIPIENT, NETWORK = "commune-ambert", "cci-thiers", "pnr-livradois"


def network_document(owner_dpo: dict | None = None) -> dict:
    def member(member_id: str, role: str, **extra: object) -> dict:
        return {"id": member_id, "nom": f"Membre {member_id}", "nature": "commune", "role": role,
                "contact": {"courriel": f"{member_id}@exemple.fr"}, **extra}

    owner_extra = {"dpo": owner_dpo} if owner_dpo else {}
    return {"reseau": "t", "membres": [
        member(OWNER, "accueil", **owner_extra),
        member(RECIPIENT, "accompagnement", abonnements=[{"communes": ["63003"]}]),
        member(NETWORK, "coordination", dpo={"portee": "reseau"}),
    ]}


def dpo_hub(db_url: str, tmp_path: Path) -> tuple[Hub, str, dict]:
    """The network (the owner's DPO of member scope), its fiche F-1 pushed, delivered and
    read by the recipient: (hub, the porteur's id, the fiche)."""
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document({"portee": "membre"})))
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher())
    load_network(hub, path, tmp_path / "creds")
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    record_consents(hub, [fiche], roles_destinataires=["accompagnement"],
                    finalites=["orientation", "accompagnement"])
    ingest.push_batch(hub, Caller(OWNER, "", "commune", "accueil"), [fiche])
    processing.process_outbox(hub, hub.publisher.published[-1])
    read_feed(hub, Caller(RECIPIENT, "", "cci", "accompagnement"), 0, 100)
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER, "F-1").porteur_id
    return hub, porteur_id, fiche


@dataclasses.dataclass
class DpoWorld:
    hub: Hub
    url: str
    porteur_id: str
    folder: Path

    def get(self, path: str, credential: str = f"{NETWORK}.dpo") -> httpx.Response:
        creds = Credentials(self.folder / "creds" / f"{credential}.json")
        return httpx.get(self.url + path, headers=creds.headers("GET", path), timeout=60)

    def reads(self, count: int, actors: tuple[str, ...] = (RECIPIENT, "pfil-parti"),
              start: dt.datetime | None = None) -> None:
        """`count` events about the porteur, appended in batches: reads and refusals by
        `actors` in turn, their times going back and forth (not in seq order)."""
        start = start or dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        ref = trail.porteur_ref(self.hub, self.porteur_id)
        fiche = (trail.fiche_ref(self.hub, OWNER, "F-1"),)
        for first in range(0, count, 1000):
            self.hub.audit.append_many([AccessEvent(
                at=start + dt.timedelta(minutes=(n * 7919) % 10_007),
                actor_member=actors[n % len(actors)],
                action=("api_read", "feed_pull", "porteur_view", "audit_view")[n % 4],
                outcome="denied" if n % 5 == 0 else "allowed", porteur_ref=ref,
                fiche_refs=fiche if n % 3 else (), fields=("porteur.nom", f"champ.{n % 6}"),
                purpose=("orientation", "accompagnement", None)[n % 3])
                for n in range(first, min(count, first + 1000))])


@pytest.fixture
def dpo_world(db_url, tmp_path) -> Iterator[DpoWorld]:
    hub, porteur_id, _fiche = dpo_hub(db_url, tmp_path)
    try:
        with served(create_app(hub=hub)) as url:
            yield DpoWorld(hub, url, porteur_id, tmp_path)
    finally:
        hub.close()
