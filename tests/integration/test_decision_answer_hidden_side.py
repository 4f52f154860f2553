"""« unknown » on an item whose own side the coordination may not see: the answer names no
porteur (that side's id would say the person has a fiche hidden from the coordination);
on an item whose sides are both open it names the item's porteur, as before. Real HTTP,
both databases."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.matching import duplicates
from tests.factories import Credentials, record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    fiche_of,
    hub_for,
    porteur_of,
    push,
)

pytestmark = pytest.mark.integration
ACTOR = COORDINATOR.member_id
VISIBLE = {**NAMES_ONLY, "date_naissance": PERSON["date_naissance"]}
NOT_FOR_COORDINATION = ["accueil", "accompagnement", "financement"]


@pytest.fixture
def world(db_url, tmp_path):
    for hub, _clock in hub_for(db_url, tmp_path, console_cookie_secure=False):
        with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                        raise_server_exceptions=False) as client:
            yield hub, client, tmp_path / "creds"


def _set_aside(client, creds, item_id):
    target = f"/v1/duplicates/{item_id}/decision"
    data = json.dumps({"decision": "unknown"}).encode()
    signer = Credentials(creds / f"{COORDINATOR.member_id}.json")
    return client.post(target, content=data, headers=signer.rfc9421_headers("POST", target, data))


def test_unknown_on_an_item_whose_own_side_is_hidden_names_no_porteur(world):
    hub, client, creds = world
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert item["cotes"][0]["consultable"] is False
    answer = _set_aside(client, creds, item["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["porteur_id"] is None
    assert porteur_of(hub, COMMUNE, "A-1") not in answer.text


def test_unknown_on_an_item_open_to_the_coordination_names_its_porteur(world):
    hub, client, creds = world
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    answer = _set_aside(client, creds, item["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["porteur_id"] == porteur_of(hub, COMMUNE, "A-1")
