"""What the duplicate queue still did with a side the coordination may not see: split a
withdrawn fiche off its porteur (API and console), answer a hidden side's porteur id after
« unknown », keep a set-aside or different item with a withdrawn side open to « Reprendre ».
Real HTTP, both databases."""

from __future__ import annotations

import pytest

from hub.errors import NotFound, NothingToUnmerge
from hub.services.console import duplicates_console, review_revisits
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    NOT_FOR_COORDINATION,
    PERSON,
    VISIBLE,
    coordination_post,
    fiche_of,
    merged_by_the_coordination,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration
SESSION = COORDINATION_SESSION


def _unmerge(client, creds, porteur, fiche_id):
    return coordination_post(client, creds, f"/v1/porteurs/{porteur}/unmerge",
                 {"membre": CCI.member_id, "fiche_id": fiche_id})


def _set_aside(client, creds, item_id):
    return coordination_post(client, creds, f"/v1/duplicates/{item_id}/decision", {"decision": "unknown"})


def _merged_then_withdrawn(hub):
    """A-1 and C-1 merged by the coordination, then C-1's consent withdrawn."""
    record = merged_by_the_coordination(hub)
    porteur = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-1") == porteur
    consents.withdraw_consent(hub, CCI, record.id)
    return porteur


def _separations(hub):
    return [e for e in duplicates.merge_history(hub, limit=200) if e["type"] == "separation"]


def test_a_withdrawn_fiche_is_answered_as_a_missing_one_and_not_split_off(world):
    hub, client, creds = world
    porteur = _merged_then_withdrawn(hub)
    missing = _unmerge(client, creds, porteur, "C-404")
    withdrawn = _unmerge(client, creds, porteur, "C-1")
    assert missing.status_code == 409
    assert missing.json()["error"]["code"] == "nothing_to_unmerge"
    assert (withdrawn.status_code, withdrawn.json()) == (missing.status_code, missing.json())
    assert porteur_of(hub, CCI, "C-1") == porteur == porteur_of(hub, COMMUNE, "A-1")
    assert _separations(hub) == []


def test_the_console_cannot_separate_a_withdrawn_fiche_either(world):
    hub, _client, _creds = world
    porteur = _merged_then_withdrawn(hub)
    with pytest.raises(NothingToUnmerge) as missing:
        duplicates_console.unmerge(hub, SESSION, porteur, CCI.member_id, "C-404")
    with pytest.raises(NothingToUnmerge) as withdrawn:
        duplicates_console.unmerge(hub, SESSION, porteur, CCI.member_id, "C-1")
    assert withdrawn.value.args == missing.value.args
    assert porteur_of(hub, CCI, "C-1") == porteur
    assert _separations(hub) == []


def test_a_fiche_still_consented_is_split_off_as_before(world):
    hub, client, creds = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "same", actor=ACTOR,
                      confirmed=duplicates.flags_of(item["explication"]))
    porteur = porteur_of(hub, COMMUNE, "A-1")
    answer = _unmerge(client, creds, porteur, "C-1")
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, CCI, "C-1") not in (porteur, None)
    assert len(_separations(hub)) == 1


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


@pytest.mark.parametrize("decision", ["unknown", "different"])
def test_a_decided_item_closes_when_a_side_is_withdrawn_and_is_not_reopened(world, decision):
    hub, _client, _creds = world
    full = fiche_of(COMMUNE, "A-1", PERSON)
    [record] = record_consents(hub, [full])
    push(hub, COMMUNE, full, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], decision, actor=ACTOR)
    assert [i["id"] for i in review_revisits.revisitable(hub, SESSION)["items"]] == [item["id"]]
    consents.withdraw_consent(hub, COMMUNE, record.id)
    assert duplicates.outcome(hub, item["id"])["statut"] == "side_closed"
    assert review_revisits.revisitable(hub, SESSION)["items"] == []
    with pytest.raises(NotFound):
        review_revisits.reopen(hub, SESSION, item["id"])
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
