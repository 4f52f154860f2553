"""A review item pairing a fiche with one the coordination may not see (its consent leaves
the coordination out, or was withdrawn): the queue tells nothing of the hidden side, in the
API and in the console, and a withdrawn fiche is no longer a matching candidate. Both
databases."""

from __future__ import annotations

import json
import re

import pytest

from hub.errors import ReviewItemNotConsultable
from hub.services.ingest.policy_loader import DEFAULT_POLICY_FILE
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    NOT_FOR_COORDINATION,
    PERSON,
    VISIBLE,
    coordination_get,
    fiche_of,
    hub_for,
    merged_by_the_coordination,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration


def _hidden_then_visible(hub, roles=NOT_FOR_COORDINATION):
    """Commune-ambert's A-1 under a consent for `roles`, then the CCI's C-1 of the same
    woman: one review item, A-1 its candidate side."""
    full = fiche_of(COMMUNE, "A-1", PERSON)
    [record] = record_consents(hub, [full], roles_destinataires=roles)
    push(hub, COMMUNE, full, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    return record


def test_the_api_names_no_member_fiche_nor_field_level_of_a_side_the_consent_keeps_closed(world):
    hub, client, creds = world
    _hidden_then_visible(hub)
    answer = coordination_get(client, creds, "/v1/duplicates")
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["items"]
    assert item["cotes"][1] == {"consultable": False, "fiche": {}, "champs": []}
    assert item["cotes"][0]["membre"] == CCI.member_id and item["cotes"][0]["consultable"]
    told = item["explication"]
    assert told["champs"] == [] and told["cote_non_consultable"] is True
    assert set(told) == {"probabilite", "champs", "cote_non_consultable", "lignes"}
    assert told["probabilite"] is None and item["probabilite"] is None  # the hidden side's weight
    text = json.dumps(item, ensure_ascii=False)
    for secret in (COMMUNE.member_id, "A-1", "identique", "renseigne", porteur_of(hub, COMMUNE, "A-1")):
        assert secret not in text


def test_a_side_not_consultable_can_only_be_set_aside(world):
    hub, _client, _creds = world
    _hidden_then_visible(hub)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    for decision in ("same", "different"):
        with pytest.raises(ReviewItemNotConsultable):
            duplicates.decide(hub, item["id"], decision, actor=ACTOR)
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert duplicates.decide(hub, item["id"], "unknown", actor=ACTOR)["decision"] == "unknown"


def test_a_withdrawn_fiche_is_no_longer_a_matching_candidate(world):
    hub, _client, _creds = world
    full = fiche_of(COMMUNE, "A-1", PERSON)
    [record] = record_consents(hub, [full])
    push(hub, COMMUNE, full, consent=False)
    consents.withdraw_consent(hub, COMMUNE, record.id)
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))  # the very same person, every field
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")  # no link either
    with hub.uow() as uow:  # the member's own fiche stays
        assert uow.fiches.porteur_of(COMMUNE.member_id, "A-1") is not None


def test_an_open_item_against_a_withdrawn_fiche_closes_for_the_consent(world):
    hub, _client, _creds = world
    record = _hidden_then_visible(hub, [*NOT_FOR_COORDINATION, "coordination"])
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    consents.withdraw_consent(hub, COMMUNE, record.id)
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
    assert duplicates.outcome(hub, item["id"])["statut"] == "side_closed"
    push(hub, CCI, fiche_of(CCI, "C-2", PERSON))  # no new item against A-1 either
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []


def test_the_console_page_shows_a_side_not_consultable_and_no_comparison_of_it(world):
    from hub.services.accounts import users as accounts
    from tests.integration.test_console import sign_in

    hub, client, _creds = world
    accounts.add_user(hub, "coord", "coordinator", "coordination-du-reseau")
    _hidden_then_visible(hub)
    sign_in(client, "coord", "coordination-du-reseau")
    page = client.get("/console/coordination/doublons/1")
    assert page.status_code == 200, page.text[:300]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "côté non consultable" in text
    for told in (COMMUNE.member_id, "fiche A-1", "comparaison du hub", "Nom identique",
                 "identique", "Détail du score"):
        assert told not in text, told
    buttons = re.findall(r'class="decision-(\w+)"', page.text)
    assert buttons == ["unknown"]


def test_the_merge_history_no_longer_lists_a_merge_whose_fiche_was_withdrawn(world):
    """Listed with no fiche, the merge would tell that the consent was withdrawn."""
    hub, client, creds = world
    record = merged_by_the_coordination(hub)
    named = {"membre": CCI.member_id, "fiche_id": "C-1"}
    assert named in duplicates.merge_history(hub)[0]["fiches"]
    [told] = coordination_get(client, creds, "/v1/duplicates/history").json()["historique"]
    assert told["fiches"] == [named]
    consents.withdraw_consent(hub, CCI, record.id)
    answer = coordination_get(client, creds, "/v1/duplicates/history")
    assert answer.status_code == 200, answer.text
    assert answer.json()["historique"] == []
    assert duplicates.merge_history(hub)[0]["id"] == told["id"]  # kept, for the hub


@pytest.fixture
def contact_hidden(db_url, tmp_path):
    """The shipped policy, the coordination's contact category taken out."""
    policy = json.loads(DEFAULT_POLICY_FILE.read_text(encoding="utf-8"))
    for rule in policy["regles"]:
        if rule["role"] == "coordination":
            rule["autorise"] = [g for g in rule["autorise"] if g.get("categorie") != "contact"]
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    for hub, _clock in hub_for(db_url, tmp_path, policy_file=tmp_path / "policy.json"):
        yield hub


def test_a_field_the_policy_hides_from_the_coordination_shows_no_level(contact_hidden):
    hub = contact_hidden
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    told = item["explication"]
    assert {t["champ"] for t in told["champs"]} <= {"nom", "prenom", "date_naissance"}
    assert told["champs_non_consultables"] is True
    assert not any(line.startswith(("courriel", "telephone", "adresse", "lieu"))
                   for line in told["lignes"])
    # total − a priori − the weights told would be the hidden fields' points
    assert not {"a_priori", "total"} & set(told)
    assert told["probabilite"] is None and item["probabilite"] is None
    assert all(side["consultable"] and side["membre"] for side in item["cotes"])
