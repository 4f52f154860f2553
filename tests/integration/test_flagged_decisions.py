"""A coordinator's « same » on a review item the worker flagged (`identite_seule_a_verifier`:
a name and a birth date alone; `autre_domicile_a_verifier`: the person's other home
reached on what anyone may guess) names each flag, else 409 `confirmation_required` in
the error envelope and nothing changes: before, a « same » sent without looking merged
the member's porteur into another member's, which it then followed (its e-mail, phone,
new address). On both databases."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.domain.matching.model import IDENTITY_ONLY_KEY, MOVED_AWAY_KEY
from hub.errors import ConfirmationRequired
from hub.services.matching import duplicates
from tests.factories import Credentials
from tests.integration.dedup_world import CCI, COMMUNE, PFIL, fiche_of, hub_for, porteur_of, push

pytestmark = pytest.mark.integration
COORDINATION = "pnr-livradois-forez"

KERBIRIOU = {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01",
             "courriel": "maelys.k@exemple.fr", "telephone": "06 98 76 54 32",
             "adresse": {"ligne": "4 place Bellecour", "code_postal": "69002", "commune": "Lyon"}}
VIDAL_NAMES = {"nom": "Vidal", "prenom": "Constance"}
PONT = {"ligne": "3 rue du Pont", "code_postal": "63600", "commune": "Ambert"}
VIDAL_AT_LYON = {**VIDAL_NAMES, "courriel": "constance.v@exemple.fr",
                 "telephone": "06 61 00 75 29",
                 "adresse": {"ligne": "4 place Bellecour", "code_postal": "69002",
                             "commune": "Lyon"}}
VIDAL_AT_AMBERT = {**VIDAL_AT_LYON, "date_naissance": "1956-10-01", "adresse": PONT}


@pytest.fixture
def shipped(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def _own(caller, fiche_id: str, porteur: dict) -> dict:
    """A fiche followed by its member alone."""
    fiche = fiche_of(caller, fiche_id, porteur)
    fiche["accompagnement"] = [{**fiche["accompagnement"][0], "structure": caller.member_id}]
    return fiche


def identity_only_world(hub) -> str:
    """The CCI guesses the commune's Maëlys Kerbiriou by her name, birth date and town
    (a guessable place: identity alone; the same town, so no other home either)."""
    push(hub, COMMUNE, _own(COMMUNE, "K-1", KERBIRIOU))
    town = {k: KERBIRIOU["adresse"][k] for k in ("code_postal", "commune")}
    push(hub, CCI, fiche_of(CCI, "G-1", {**{k: KERBIRIOU[k] for k in
                                            ("nom", "prenom", "date_naissance")},
                                         "adresse": town}))
    return porteur_of(hub, COMMUNE, "K-1")


def moved_away_world(hub) -> str:
    """The commune holds Constance Vidal at Lyon, the PFIL at Ambert (one porteur); the
    CCI guesses her names and her old street at Ambert."""
    push(hub, COMMUNE, _own(COMMUNE, "V-1", VIDAL_AT_LYON))
    push(hub, PFIL, _own(PFIL, "V-2", VIDAL_AT_AMBERT))
    push(hub, CCI, fiche_of(CCI, "G-1", {**VIDAL_NAMES, "adresse": PONT}))
    return porteur_of(hub, COMMUNE, "V-1")


SCENARIOS = {IDENTITY_ONLY_KEY: identity_only_world, MOVED_AWAY_KEY: moved_away_world}


def _flagged_item(hub, flag: str) -> tuple[dict, str]:
    victim = SCENARIOS[flag](hub)
    items = duplicates.list_review_items(hub, actor=COORDINATION)["items"]
    [item] = [i for i in items if i["cotes"][1]["porteur_id"] == victim]
    assert item["explication"].get(flag) is True
    assert porteur_of(hub, CCI, "G-1") != victim
    return item, victim


@pytest.mark.parametrize("flag", sorted(SCENARIOS))
def test_a_same_on_a_flagged_item_names_its_flag_or_changes_nothing(shipped, flag):
    hub, _clock = shipped
    item, victim = _flagged_item(hub, flag)
    with pytest.raises(ConfirmationRequired) as refused:
        duplicates.decide(hub, item["id"], "same", actor=COORDINATION)
    assert refused.value.status == 409 and refused.value.flags == [flag]
    other = next(f for f in SCENARIOS if f != flag)
    with pytest.raises(ConfirmationRequired):  # another flag named is no confirmation
        duplicates.decide(hub, item["id"], "same", actor=COORDINATION, confirmed=[other])
    assert porteur_of(hub, CCI, "G-1") != victim
    assert duplicates.get_review_item(hub, item["id"], actor=COORDINATION)["statut"] == "open"
    done = duplicates.decide(hub, item["id"], "same", actor=COORDINATION, confirmed=[flag])
    assert done["porteur_id"] == victim == porteur_of(hub, CCI, "G-1")


@pytest.mark.parametrize("flag", sorted(SCENARIOS))
def test_other_decisions_on_a_flagged_item_need_no_confirmation(shipped, flag):
    hub, _clock = shipped
    item, victim = _flagged_item(hub, flag)
    assert duplicates.decide(hub, item["id"], "different", actor=COORDINATION)["fusion"] is None
    assert porteur_of(hub, CCI, "G-1") != victim


def test_over_http_the_refusal_is_a_409_in_the_envelope_naming_the_flag(shipped, tmp_path):
    hub, _clock = shipped
    item, victim = _flagged_item(hub, MOVED_AWAY_KEY)
    coordinator = Credentials(tmp_path / "creds" / f"{COORDINATION}.json")
    path = f"/v1/duplicates/{item['id']}/decision"

    def post(client, document) -> object:
        body = json.dumps(document).encode()
        return client.post(path, content=body, headers=coordinator.headers("POST", path, body))

    with TestClient(create_app(hub=hub)) as client:
        refused = post(client, {"decision": "same", "revision": item["revision"]})
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "confirmation_required"
        assert error["a_confirmer"] == [MOVED_AWAY_KEY] and MOVED_AWAY_KEY in error["message_fr"]
        for personal in ("Vidal", "Constance", "Pont", "Bellecour", "exemple.fr"):
            assert personal not in refused.text
        for wrong in ({"decision": "same", "confirme": MOVED_AWAY_KEY, "revision": 1},
                      {"decision": "same", "confirme": ["oui"], "revision": 1}):
            answer = post(client, wrong)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] in ("invalid_decision", "malformed_body")
        assert porteur_of(hub, CCI, "G-1") != victim
        done = post(client, {"decision": "same", "confirme": [MOVED_AWAY_KEY],
                             "revision": item["revision"]})
        assert done.status_code == 200 and done.json()["porteur_id"] == victim
