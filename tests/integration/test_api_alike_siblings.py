"""Two people of one surname and one home whose first names are alike (a brother and his
sister Julien / Juliette, twins Léa / Léo), pushed over the API by two members: never one
porteur, so neither member reads the other person's data, with the shipped model and with
a model trained on typo-heavy files (`HUB_MATCHING_MODEL_FILE`). The pair waits for a
coordinator where nothing of the person's own differs. On both databases."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.ingest import processing
from tests.factories import Credentials, record_consents
from tests.integration.dedup_world import CCI, COMMUNE, fiche_of, hub_for, porteur_of
from tests.unit.matching.test_matching_precision_families import _typo_heavy

pytestmark = pytest.mark.integration

HOME = {"ligne": "12 rue des Lilas", "code_postal": "63600", "commune": "Ambert",
        "code_insee": "63003"}
BROTHER = {"nom": "Hislop", "prenom": "Julien", "date_naissance": "1988-04-12",
           "courriel": "julien.hislop@exemple.fr", "telephone": "06 11 22 33 44",
           "adresse": HOME}
# What the first member's fiche holds that the second member's does not.
HIS_OWN = ("julien.hislop", "1988-04-12", "0611223344", "06 11 22 33 44")
SIBLINGS = {
    "his sister, the street line alone": (
        BROTHER, {"nom": "Hislop", "prenom": "Juliette", "adresse": {"ligne": HOME["ligne"]}}),
    "his sister, the whole home": (BROTHER, {"nom": "Hislop", "prenom": "Juliette", "adresse": HOME}),
    "twins of one birth date": (
        {"nom": "Hislop", "prenom": "Léa", "date_naissance": "2001-06-15", "adresse": HOME,
         "courriel": "lea.hislop@exemple.fr"},
        {"nom": "Hislop", "prenom": "Léo", "date_naissance": "2001-06-15", "adresse": HOME}),
    "sisters, one birth date given": (
        {"nom": "Hislop", "prenom": "Marine", "date_naissance": "1990-05-01", "adresse": HOME,
         "courriel": "marine.h@exemple.fr"},
        {"nom": "Hislop", "prenom": "Martine", "adresse": HOME}),
}


@pytest.fixture(params=["shipped", "typo-heavy"])
def api(request, db_url, tmp_path):
    settings = {}
    if request.param == "typo-heavy":
        path = tmp_path / "typo_heavy.json"
        path.write_text(_typo_heavy(0.3).to_json(), encoding="utf-8")
        settings["matching_model_file"] = path
    for hub, _clock in hub_for(db_url, tmp_path, **settings):
        with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                        raise_server_exceptions=False) as client:
            yield hub, client, tmp_path / "creds"


def _call(client, creds, member, method, target, body=None):
    content = b"" if body is None else json.dumps(body).encode()
    signer = Credentials(creds / f"{member.member_id}.json")
    return client.request(method, target, content=content,
                          headers=signer.rfc9421_headers(method, target, content))


def _followed(member, fiche_id, porteur):
    """A fiche its member follows itself (a welcome of its own): routing sends it to no
    other member, so what another member reads of it came by a link."""
    fiche = fiche_of(member, fiche_id, porteur)
    fiche["accompagnement"] = [{"structure": member.member_id, "date": "2026-10-02",
                                "type": "accueil"}]
    return fiche


def _push(hub, client, creds, member, fiche):
    record_consents(hub, [fiche])
    answer = _call(client, creds, member, "POST", "/v1/fiches", {"fiches": [fiche]})
    assert answer.status_code == 202 and answer.json()["accepted"] == 1, answer.text
    processing.process_outbox(hub, hub.publisher.published[-1])


@pytest.mark.parametrize("case", sorted(SIBLINGS))
def test_siblings_of_alike_first_names_pushed_by_two_members_stay_two_porteurs(api, case):
    hub, client, creds = api
    first, second = SIBLINGS[case]
    _push(hub, client, creds, COMMUNE, _followed(COMMUNE, "A-1", first))
    _push(hub, client, creds, CCI, _followed(CCI, "C-1", second))
    porteur = porteur_of(hub, CCI, "C-1")
    assert porteur != porteur_of(hub, COMMUNE, "A-1")
    seen = _call(client, creds, CCI, "GET", f"/v1/porteurs/{porteur}")
    feed = _call(client, creds, CCI, "GET", "/v1/feed?after=0")
    assert seen.status_code == 200 and feed.status_code == 200
    read = (seen.text + feed.text).lower()
    assert first["prenom"].lower() not in read
    assert not [mark for mark in HIS_OWN if mark in read]
    theirs = _call(client, creds, COMMUNE, "GET", "/v1/feed?after=0")
    assert theirs.status_code == 200 and second["prenom"].lower() not in theirs.text.lower()
