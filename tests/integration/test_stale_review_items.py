"""A review item whose sides change after it was opened: the worker scores it again against
the new version (new explanation and probability, or closed as no longer a candidate), and
a decision made on what the coordinator saw before (the item's `revision`) is refused with
409 `review_item_changed`, nothing changed. A side the coordination may not see tells
nothing: neither its new version nor the item's revision. Both databases, through the API
and the console."""

from __future__ import annotations

import re

import pytest

from hub import errors
from hub.services.ingest import processing
from hub.services.matching import duplicates
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    NOT_FOR_COORDINATION,
    PERSON,
    VISIBLE,
    coordination_get,
    coordination_post,
    fiche_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration
# Another person altogether, pushed as a later version of one side.
STRANGER = {"nom": "Zyxwvutsrq", "prenom": "Quentinella", "date_naissance": "1931-02-03"}
# The same woman, her e-mail added: still a likely pair, on other evidence.
WITH_EMAIL = {**VISIBLE, "courriel": PERSON["courriel"]}


def _queued(hub):
    """Commune-ambert's A-1, then the CCI's C-1 of the same woman (names and birth date):
    one review item, C-1 its new side, A-1 its candidate."""
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    return item


def _separate(hub):
    return porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")


@pytest.mark.parametrize("side", [CCI, COMMUNE], ids=["new-side", "candidate-side"])
def test_a_version_that_is_another_person_closes_the_item_and_same_merges_nothing(world, side):
    hub, client, creds = world
    item = _queued(hub)
    flags = duplicates.flags_of(item["explication"])
    fiche_id = "C-1" if side is CCI else "A-1"
    push(hub, side, fiche_of(side, fiche_id, STRANGER, version=2))
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
    shown = coordination_get(client, creds, f"/v1/duplicates/{item['id']}").json()
    assert shown["statut"] == "unmatched"
    answer = coordination_post(client, creds, f"/v1/duplicates/{item['id']}/decision",
                               {"decision": "same", "confirme": flags,
                                "revision": item["revision"]})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "review_item_closed"
    assert _separate(hub)


def test_a_version_still_alike_scores_the_item_again_on_its_new_evidence(world):
    hub, client, creds = world
    item = _queued(hub)
    assert item["revision"] == 1 and item["explication"]["identite_seule_a_verifier"] is True
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON, version=2))  # the same identity
    assert duplicates.get_review_item(hub, item["id"], actor=ACTOR)["revision"] == 1
    push(hub, CCI, fiche_of(CCI, "C-1", WITH_EMAIL, version=2))
    shown = coordination_get(client, creds, f"/v1/duplicates/{item['id']}").json()
    assert shown["statut"] == "open" and shown["revision"] == 2
    levels = {t["champ"]: t["niveau"] for t in shown["explication"]["champs"]}
    assert levels["courriel"] == "exact"
    assert shown["probabilite"] > item["probabilite"]
    assert "identite_seule_a_verifier" not in duplicates.flags_of(shown["explication"])
    assert [s["version"] for s in shown["cotes"]] == [2, 2]


@pytest.mark.parametrize("decision", ["same", "different", "unknown"])
def test_a_decision_on_the_revision_seen_before_a_new_version_changes_nothing(world, decision):
    """The race: the page (or the API's item) read, a new version processed, then the
    decision made on what was read."""
    hub, client, creds = world
    _queued(hub)
    [seen] = coordination_get(client, creds, "/v1/duplicates").json()["items"]
    push(hub, CCI, fiche_of(CCI, "C-1", WITH_EMAIL, version=2))
    target = f"/v1/duplicates/{seen['id']}/decision"
    flags = duplicates.flags_of(seen["explication"])
    answer = coordination_post(client, creds, target, {
        "decision": decision, "confirme": flags if decision == "same" else [],
        "revision": seen["revision"]})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "review_item_changed"
    assert _separate(hub)
    now = coordination_get(client, creds, f"/v1/duplicates/{seen['id']}").json()
    assert now["statut"] == "open" and now["revision"] == seen["revision"] + 1
    with hub.uow() as uow:
        assert uow.matching.judged_different_from(
            [uow.fiches.porteur_of(CCI.member_id, "C-1").id]) == {}
    again = coordination_post(client, creds, target, {
        "decision": decision, "confirme": duplicates.flags_of(now["explication"])
        if decision == "same" else [], "revision": now["revision"]})
    assert again.status_code == 200, again.text
    assert _separate(hub) is (decision != "same")


def test_the_service_refuses_a_stale_revision_and_says_closed_for_a_closed_item(world):
    hub, _client, _creds = world
    item = _queued(hub)
    flags = duplicates.flags_of(item["explication"])
    push(hub, CCI, fiche_of(CCI, "C-1", WITH_EMAIL, version=2))
    with pytest.raises(errors.ReviewItemChanged):
        duplicates.decide(hub, item["id"], "same", actor=ACTOR, confirmed=flags, revision=1)
    push(hub, CCI, fiche_of(CCI, "C-1", STRANGER, version=3))
    with pytest.raises(errors.ReviewItemClosed):
        duplicates.decide(hub, item["id"], "same", actor=ACTOR, confirmed=flags, revision=2)
    assert _separate(hub)


def _hidden_candidate(hub):
    """A-1 under a consent that leaves the coordination out, then C-1: one review item
    whose candidate side the coordination may not see."""
    full = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [full], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, full, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))


def test_a_new_version_of_a_hidden_side_tells_the_coordination_nothing(world):
    hub, client, creds = world
    _hidden_candidate(hub)
    before = coordination_get(client, creds, "/v1/duplicates").json()["items"]
    [item] = before
    assert item["revision"] is None
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**PERSON, "courriel": "autre@exemple.fr"},
                                version=2))
    with hub.uow() as uow:
        assert uow.matching.review_item(item["id"]).revision == 2  # scored again, untold
    assert coordination_get(client, creds, "/v1/duplicates").json()["items"] == before
    # the only decision open to it is never refused for the hidden side's change
    answer = coordination_post(client, creds, f"/v1/duplicates/{item['id']}/decision",
                               {"decision": "unknown", "revision": 1})
    assert answer.status_code == 200, answer.text


def test_an_item_a_hidden_side_left_by_a_new_version_reads_as_a_side_closed(world):
    hub, client, creds = world
    _hidden_candidate(hub)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", STRANGER, version=2))
    shown = coordination_get(client, creds, f"/v1/duplicates/{item['id']}").json()
    assert shown["statut"] == "side_closed"
    assert duplicates.outcome(hub, item["id"]) == {"statut": "side_closed", "le": None,
                                                   "par_compte": None}


def test_the_console_form_carries_the_revision_and_a_stale_one_changes_nothing(world):
    from hub.services.accounts import users as accounts
    from tests.integration.test_console import sign_in

    hub, client, _creds = world
    accounts.add_user(hub, "coord", "coordinator", "coordination-du-reseau")
    item = _queued(hub)
    sign_in(client, "coord", "coordination-du-reseau")
    page = client.get(f"/console/coordination/doublons/{item['id']}")
    assert page.status_code == 200, page.text[:300]
    assert re.findall(r'name="revision" value="(\d+)"', page.text) == ["1"] * 3
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    push(hub, CCI, fiche_of(CCI, "C-1", WITH_EMAIL, version=2))  # processed meanwhile
    answer = client.post(f"/console/coordination/doublons/{item['id']}", data={
        "csrf": csrf, "decision": "same", "revision": "1",
        "confirme_identite_seule_a_verifier": "oui"}, follow_redirects=False)
    assert answer.status_code == 409, answer.text[:300]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))
    assert "a changé" in text
    assert re.findall(r'name="revision" value="(\d+)"', answer.text) == ["2"] * 3
    assert _separate(hub)


def test_a_decision_while_a_new_version_waits_for_the_worker_is_refused_until_it_is_scored(world):
    """Pushed and not processed yet: the page already shows the new version beside the
    old comparison; a decision then is refused as well, and made once the item is scored."""
    hub, client, creds = world
    item = _queued(hub)
    flags = duplicates.flags_of(item["explication"])
    [pending] = push(hub, CCI, fiche_of(CCI, "C-1", STRANGER, version=2), process=False)
    target = f"/v1/duplicates/{item['id']}/decision"
    answer = coordination_post(client, creds, target, {"decision": "same", "confirme": flags,
                                                       "revision": item["revision"]})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "review_item_changed"
    assert _separate(hub)
    processing.process_outbox(hub, [pending])
    shown = coordination_get(client, creds, f"/v1/duplicates/{item['id']}").json()
    assert shown["statut"] == "unmatched" and _separate(hub)


@pytest.mark.parametrize("decision", ["same", "different"])
def test_a_decision_that_names_no_revision_is_refused_and_changes_nothing(world, decision):
    """Read, a new version processed, then « same » or « different » without the revision:
    refused before anything is looked at (422 `revision_required`, naming the field and
    where to read it), so no client decides on evidence it may not have seen."""
    hub, client, creds = world
    _queued(hub)
    [seen] = coordination_get(client, creds, "/v1/duplicates").json()["items"]
    push(hub, CCI, fiche_of(CCI, "C-1", WITH_EMAIL, version=2))
    target = f"/v1/duplicates/{seen['id']}/decision"
    flags = duplicates.flags_of(seen["explication"]) if decision == "same" else []
    for body in ({"decision": decision, "confirme": flags},
                 {"decision": decision, "confirme": flags, "revision": None}):
        answer = coordination_post(client, creds, target, body)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "revision_required"
        assert "revision" in error["message_en"] and "GET /v1/duplicates/" in error["message_en"]
    assert _separate(hub)
    now = coordination_get(client, creds, f"/v1/duplicates/{seen['id']}").json()
    assert now["statut"] == "open" and now["revision"] == 2
    with hub.uow() as uow:
        assert uow.matching.judged_different_from(
            [uow.fiches.porteur_of(CCI.member_id, "C-1").id]) == {}


def test_unknown_without_a_revision_sets_the_item_aside_as_it_is(world):
    """« unknown » judges nothing and moves nothing: it may name no revision (an item with
    a hidden side tells none, and only « unknown » is open on it)."""
    hub, client, creds = world
    item = _queued(hub)
    answer = coordination_post(client, creds, f"/v1/duplicates/{item['id']}/decision",
                               {"decision": "unknown"})
    assert answer.status_code == 200, answer.text
    assert _separate(hub)
