"""A separation takes the hidden fiches of the separated fiche's side with it, whichever
side the merge kept; a recipient owning a withdrawn fiche of the person is still told of
a merge; a fiche resolved apart, then consented again, links as a new one in any batching."""

from __future__ import annotations

import json

import pytest

from hub.services.delivery.feed import read_feed
from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    NOT_FOR_COORDINATION,
    PERSON,
    PFIL,
    VISIBLE,
    coordination_post,
    decided_same,
    fiche_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration


def _events(hub, caller, since=0):
    return [d["evenement"] for d in read_feed(hub, caller, 0, 500)["deliveries"][since:]]


def _cci_with_hidden_commune(hub):
    """C-1 (the CCI's) and A-1 (the commune's, under a consent leaving the coordination
    out), the same person, linked by the matcher."""
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")


def _p1_v2_not_sent_to_the_commune(hub):
    """A new version of P-1 (kept apart from A-1) reaches nothing of the commune."""
    seen = len(read_feed(hub, COMMUNE, 0, 500)["deliveries"])
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1",
                                    {**VISIBLE, "courriel": "p1.autre@exemple.fr"}, version=2))
    later = read_feed(hub, COMMUNE, 0, 500)["deliveries"][seen:]
    assert "p1.autre@exemple.fr" not in json.dumps(later)
    assert "updated" not in [d["evenement"] for d in later]


def test_a_fiche_split_off_the_kept_side_takes_its_hidden_fiches(world):
    hub, client, creds = world
    _cci_with_hidden_commune(hub)
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    decided_same(hub, client, creds, {"C-1", "P-1"})
    merged = porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") == merged  # P-1 moved into C-1's porteur

    answer = coordination_post(client, creds, f"/v1/porteurs/{merged}/unmerge",
                               {"membre": CCI.member_id, "fiche_id": "C-1"})
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, CCI, "C-1") != merged
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") == merged
    _p1_v2_not_sent_to_the_commune(hub)


@pytest.mark.parametrize("withdrawn", [False, True], ids=["kept", "withdrawn"])
def test_a_recipient_owning_a_withdrawn_fiche_is_told_of_the_merge(world, withdrawn):
    hub, client, creds = world
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    assert "created" in _events(hub, PFIL)
    own = fiche_of(PFIL, "F-1", PERSON)
    [consent] = record_consents(hub, [own])
    push(hub, PFIL, own, consent=False)
    assert porteur_of(hub, PFIL, "F-1") == porteur_of(hub, CCI, "C-1")
    if withdrawn:
        consents.withdraw_consent(hub, PFIL, consent.id)
    seen = len(read_feed(hub, PFIL, 0, 500)["deliveries"])
    decided_same(hub, client, creds, {"C-1", "P-1"})
    assert _events(hub, PFIL, seen) == ["merged"]


def _reconsented(hub, one_batch: bool) -> bool:
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    first = fiche_of(COMMUNE, "A-1", PERSON)
    [consent] = record_consents(hub, [first])
    push(hub, COMMUNE, first, consent=False, process=False)
    consents.withdraw_consent(hub, COMMUNE, consent.id)
    if not one_batch:  # the worker resolves it apart before the next version comes
        processing.process_outbox(hub, hub.publisher.published[-1])
    second = fiche_of(COMMUNE, "A-1", PERSON, version=2)
    second["consentement"] = {**second["consentement"],
                              "reference": second["consentement"]["reference"] + "b"}
    record_consents(hub, [second])
    push(hub, COMMUNE, second, consent=False, process=not one_batch)
    if one_batch:
        processing.process_outbox(hub, [pk for pks in hub.publisher.published[-2:] for pk in pks])
    return porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")


@pytest.mark.parametrize("one_batch", [False, True], ids=["two_batches", "one_batch"])
def test_a_fiche_resolved_apart_then_consented_links_in_any_batching(world, one_batch):
    assert _reconsented(world[0], one_batch)


def _same_with_p2(hub, client, creds):
    """P-2 (the person's names only) decided the same person as the merged porteur."""
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-2",
                                    {"nom": "Chassaing", "prenom": "Marie-Hélène"}))
    [ids] = [ids for i in duplicates.list_review_items(hub, actor=ACTOR)["items"]
             if "P-2" in (ids := {s["fiche_id"] for s in i["cotes"]})]
    decided_same(hub, client, creds, ids)


@pytest.mark.parametrize("kept", ["cci", "third"])
def test_a_fiche_split_after_two_merges_takes_its_hidden_fiches(world, kept):
    """C-1 and the commune's A-1 (hidden from the coordination) are one porteur; it keeps
    P-1 merged in (`cci`) or is merged into P-1's (`third`), then P-2 is merged in:
    separating C-1 takes A-1 along (of the first merge, where nothing visible stays)."""
    hub, client, creds = world
    if kept == "third":
        push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    _cci_with_hidden_commune(hub)
    first = porteur_of(hub, CCI, "C-1")
    if kept == "cci":
        push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    decided_same(hub, client, creds, {"C-1", "P-1"})
    merged = porteur_of(hub, COORDINATOR, "P-1")
    assert (merged == first) == (kept == "cci")
    _same_with_p2(hub, client, creds)
    assert {porteur_of(hub, m, f) for m, f in [(CCI, "C-1"), (COMMUNE, "A-1"),
                                               (COORDINATOR, "P-1"),
                                               (COORDINATOR, "P-2")]} == {merged}

    answer = coordination_post(client, creds, f"/v1/porteurs/{merged}/unmerge",
                               {"membre": CCI.member_id, "fiche_id": "C-1"})
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, CCI, "C-1") != merged
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") == porteur_of(hub, COORDINATOR, "P-2") == merged
    _p1_v2_not_sent_to_the_commune(hub)


@pytest.mark.parametrize("order", [("C-1",), ("Q-1", "C-1")], ids=["c1", "q1_then_c1"])
def test_a_fiche_split_after_its_porteur_was_absorbed_takes_its_hidden_fiches(world, order):
    """C-1 and the commune's A-1 (hidden) are one porteur X, which keeps P-1 merged in; X
    is then merged into an older porteur Z (Q-1): what made A-1 C-1's is a merge recorded
    under X. Separating C-1 (after Q-1 or not) takes A-1 along, and Q-1's next version
    reaches nothing of the commune."""
    hub, client, creds = world
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "Q-1", NAMES_ONLY))
    _cci_with_hidden_commune(hub)
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    decided_same(hub, client, creds, {"C-1", "P-1"})
    decided_same(hub, client, creds, {"C-1", "Q-1"})
    z = porteur_of(hub, COORDINATOR, "Q-1")
    assert {porteur_of(hub, m, f) for m, f in [(CCI, "C-1"), (COMMUNE, "A-1"),
                                               (COORDINATOR, "P-1")]} == {z}
    for fiche_id in order:
        owner = CCI if fiche_id == "C-1" else COORDINATOR
        answer = coordination_post(client, creds,
                                   f"/v1/porteurs/{porteur_of(hub, owner, fiche_id)}/unmerge",
                                   {"membre": owner.member_id, "fiche_id": fiche_id})
        assert answer.status_code == 200, answer.text
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") != porteur_of(hub, CCI, "C-1")
    seen = len(read_feed(hub, COMMUNE, 0, 500)["deliveries"])
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "Q-1",
                                    {**NAMES_ONLY, "courriel": "q1.autre@exemple.fr"}, version=2))
    later = read_feed(hub, COMMUNE, 0, 500)["deliveries"][seen:]
    assert "q1.autre@exemple.fr" not in json.dumps(later)
