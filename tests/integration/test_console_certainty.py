"""A pair the hub left for review is never shown as certain, however close to 1 its
probability: the queue, the pair's page and the API's explanation lines all say so."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.matching import duplicates
from tests.console_world import PASSWORDS, _fiche, build_world, console_hub
from tests.factories import ALL_PURPOSES, Clock, record_consents

pytestmark = pytest.mark.integration
TWINS = {"nom": "Vercingétorix", "prenom": "Aurélien", "courriel": "a.vercingetorix@exemple.fr",
         "telephone": "04 73 82 90 12",
         "adresse": {"code_postal": "63600", "commune": "Ambert", "code_insee": "63003"}}


@pytest.fixture
def world(db_url, tmp_path):
    clock = Clock()
    hub = console_hub(db_url, tmp_path, clock)
    build_world(hub, tmp_path)
    for owner, fiche_id, born in (("commune-ambert", "F-JUMEAU-A", "1984-03-05"),
                                  ("cci-puy-de-dome", "F-JUMEAU-B", "1979-11-21")):
        fiche = _fiche(clock().date(), owner, fiche_id, TWINS["prenom"], TWINS["nom"],
                       "Fromagerie", "emergence", [(3, owner, "accueil", None, None)])
        fiche["porteur"] = {**TWINS, "date_naissance": born}
        record_consents(hub, [fiche], roles_destinataires=["accueil", "accompagnement",
                                                            "coordination"],
                        finalites=ALL_PURPOSES)
        kind, role = ("commune", "accueil") if owner == "commune-ambert" else (
            "cci", "accompagnement")
        assert ingest.push_batch(hub, Caller(owner, "", kind, role), [fiche])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1") as client:
        yield {"hub": hub, "client": client}
    hub.close()


def test_a_pair_left_for_review_is_never_shown_as_certain(world):
    hub, client = world["hub"], world["client"]
    item = max(duplicates.list_review_items(hub)["items"], key=lambda i: i["probabilite"])
    assert item["probabilite"] > 0.99999, "the twins' pair, left for review"
    form = client.get("/console/connexion").text
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    client.post("/console/connexion", data={**fields, "login": "coord",
                                            "password": PASSWORDS["coord"]})
    queue = html.unescape(client.get("/console/coordination/doublons").text)
    page = html.unescape(client.get(f"/console/coordination/doublons/{item['id']}").text)
    for text in (queue, page):
        assert "100,0 %" not in text and "100,00 %" not in text
    assert "99,99 %" in page and "99,9 %" in queue
    assert item["explication"]["lignes"][-1].endswith("probabilité de 99,99 %")
