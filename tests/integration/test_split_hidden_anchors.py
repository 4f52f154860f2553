"""A separation leaves every fiche the coordination cannot see with the person it was
matched to: the fiches the matcher linked it on (`fiches_proches` of its link), or the fiche
a decided pair joined it to, whichever way it joined the porteur (the worker's link, a
link after a merge, a consent given again, a chain join). A hidden fiche tied to both
sides of the separation has a porteur of its own. On both databases."""

from __future__ import annotations

import json

import pytest

from hub.services.delivery.feed import read_feed
from hub.services.ingest import processing
from hub.services.privacy import consents, erasure
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    NOT_FOR_COORDINATION,
    PERSON,
    RETYPED,
    VISIBLE,
    coordination_post,
    decided_same,
    fiche_of,
    links_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)
from tests.integration.test_online_chains import BOTH, BY_MAIL, BY_PHONE

pytestmark = pytest.mark.integration



def _push_hidden(hub, fiche_id, porteur, version=1):
    """The commune's fiche under a consent that leaves the coordination out."""
    hidden = fiche_of(COMMUNE, fiche_id, porteur, version=version)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)


def _separate(world, caller, fiche_id):
    hub, client, creds = world
    where = porteur_of(hub, caller, fiche_id)
    answer = coordination_post(client, creds, f"/v1/porteurs/{where}/unmerge",
                               {"membre": caller.member_id, "fiche_id": fiche_id})
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, caller, fiche_id) != where
    return where


def _commune_reads_nothing_of(hub, fiche_id, porteur):
    """A new version of the coordination's fiche reaches nothing of the commune."""
    seen = len(read_feed(hub, COMMUNE, 0, 500)["deliveries"])
    push(hub, COORDINATOR, fiche_of(COORDINATOR, fiche_id,
                                    {**porteur, "courriel": "autre.personne@exemple.fr"},
                                    version=2))
    later = read_feed(hub, COMMUNE, 0, 500)["deliveries"][seen:]
    assert "autre.personne@exemple.fr" not in json.dumps(later)
    assert "updated" not in [d["evenement"] for d in later]


def _one_porteur(hub, *fiches):
    return len({porteur_of(hub, caller, fiche_id) for caller, fiche_id in fiches}) == 1


def _linked_then_separated(world, c1, p1, a1):
    """C-1, P-1 and the hidden A-1, pushed in that order, linked by the matcher into one
    porteur; then C-1 separated: the porteur P-1 keeps."""
    hub = world[0]
    push(hub, CCI, fiche_of(CCI, "C-1", c1))
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", p1))
    _push_hidden(hub, "A-1", a1)
    assert _one_porteur(hub, (CCI, "C-1"), (COORDINATOR, "P-1"), (COMMUNE, "A-1"))
    return _separate(world, CCI, "C-1")


def test_a_hidden_fiche_the_matcher_linked_to_the_separated_fiche_goes_with_it(world):
    hub = world[0]
    kept = _linked_then_separated(world, PERSON, RETYPED, PERSON)
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") == kept
    _commune_reads_nothing_of(hub, "P-1", RETYPED)


def test_a_hidden_fiche_matched_to_the_fiche_that_stays_stays(world):
    """A-1 gives P-1's e-mail, which C-1 does not give: P-1 is its closest fiche."""
    hub = world[0]
    mailed = {**RETYPED, "courriel": "mh.chassaing@exemple.fr"}
    unmailed = {k: v for k, v in PERSON.items() if k != "courriel"}
    kept = _linked_then_separated(world, unmailed, mailed, mailed)
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, COORDINATOR, "P-1") == kept


def test_a_hidden_fiche_as_close_to_both_sides_gets_a_porteur_of_its_own(world):
    """A-1 gives what P-1 gives (no e-mail): the matcher found it as close to C-1."""
    hub = world[0]
    kept = _linked_then_separated(world, PERSON, RETYPED, RETYPED)
    assert porteur_of(hub, COMMUNE, "A-1") not in (kept, porteur_of(hub, CCI, "C-1"))
    assert porteur_of(hub, COORDINATOR, "P-1") == kept


def _unmerged_notices(hub, member):
    return [d for d in read_feed(hub, member, 0, 500)["deliveries"] if d["evenement"] == "unmerged"]


def test_a_hidden_fiche_apart_is_recorded_and_its_owner_alone_told_its_porteur(world):
    """The separation's record holds A-1's move to its porteur of its own, and the commune
    (A-1's owner) is told which porteur holds A-1 now; the other members are not."""
    hub = world[0]
    kept = _linked_then_separated(world, PERSON, RETYPED, RETYPED)
    restored, apart = porteur_of(hub, CCI, "C-1"), porteur_of(hub, COMMUNE, "A-1")
    assert apart not in (kept, restored)
    with hub.uow() as uow:
        a1 = uow.fiches.porteur_of(COMMUNE.member_id, "A-1").id
        moves = [(e.porteur_id, e.other_porteur_id) for e in uow.matching.merge_history(kept, 50)
                 if e.kind == "unmerge" and a1 in e.fiche_pks]
    assert moves == [(kept, apart)]
    [told] = _unmerged_notices(hub, COMMUNE)
    assert (told["porteur_id"], told["porteur_restaure"]) == (kept, restored)
    assert told["porteurs_a_part"] == [apart]
    for member in (CCI, COORDINATOR):
        notices = _unmerged_notices(hub, member)
        assert notices
        assert apart not in json.dumps(notices)


@pytest.mark.parametrize("absorbed", [False, True], ids=["kept", "absorbed"])
def test_a_hidden_fiche_linked_after_a_merge_goes_with_the_separated_fiche(world, absorbed):
    """P-1 decided the same person as C-1 by a coordinator (then the porteur merged into
    Q-1's, or not); the hidden A-1, C-1's data, is linked afterwards."""
    hub, client, creds = world
    if absorbed:
        push(hub, COORDINATOR, fiche_of(COORDINATOR, "Q-1", NAMES_ONLY))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    decided_same(hub, client, creds, {"C-1", "P-1"})
    if absorbed:
        decided_same(hub, client, creds, {"C-1", "Q-1"})
    _push_hidden(hub, "A-1", PERSON)
    assert _one_porteur(hub, (CCI, "C-1"), (COORDINATOR, "P-1"), (COMMUNE, "A-1"))
    kept = _separate(world, CCI, "C-1")
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") == kept
    _commune_reads_nothing_of(hub, "P-1", VISIBLE)


def test_a_hidden_fiche_linked_again_after_its_consent_came_back_goes_with_its_match(world):
    """A-1 resolved apart (its consent ended before it was processed), then linked as a
    new fiche once consented again: the separation follows that link."""
    hub = world[0]
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", RETYPED))
    first = fiche_of(COMMUNE, "A-1", PERSON)
    [consent] = record_consents(hub, [first], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, first, consent=False, process=False)
    consents.withdraw_consent(hub, COMMUNE, consent.id)
    processing.process_outbox(hub, hub.publisher.published[-1])
    assert not _one_porteur(hub, (CCI, "C-1"), (COMMUNE, "A-1"))
    second = fiche_of(COMMUNE, "A-1", PERSON, version=2)
    second["consentement"] = {**second["consentement"],
                              "reference": second["consentement"]["reference"] + "b"}
    record_consents(hub, [second], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, second, consent=False)
    assert _one_porteur(hub, (CCI, "C-1"), (COORDINATOR, "P-1"), (COMMUNE, "A-1"))
    kept = _separate(world, CCI, "C-1")
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "P-1") == kept


def test_a_hidden_fiche_that_joined_both_sides_gets_a_porteur_of_its_own(world):
    """The commune's A-1 (e-mail, phone and address) linked the CCI's C-1 (phone and
    address) and the coordination's P-1 (e-mail) into one porteur: separating C-1 leaves
    A-1 with neither, as it is the person of both."""
    hub = world[0]
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", BY_MAIL))
    assert not _one_porteur(hub, (CCI, "C-1"), (COORDINATOR, "P-1"))
    _push_hidden(hub, "A-1", BOTH)
    assert _one_porteur(hub, (CCI, "C-1"), (COORDINATOR, "P-1"), (COMMUNE, "A-1"))
    kept = _separate(world, CCI, "C-1")
    apart = porteur_of(hub, COMMUNE, "A-1")
    assert apart not in (kept, porteur_of(hub, CCI, "C-1"))
    assert porteur_of(hub, COORDINATOR, "P-1") == kept
    assert links_of(hub, COMMUNE, "A-1")[-1].method == "unmerge"
    _commune_reads_nothing_of(hub, "P-1", BY_MAIL)


def test_the_erasure_of_the_separated_person_asks_the_owner_of_its_hidden_fiche(world):
    hub = world[0]
    _linked_then_separated(world, PERSON, RETYPED, PERSON)
    seen = len(read_feed(hub, COMMUNE, 0, 500)["deliveries"])
    answer = erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    later = [d["evenement"] for d in read_feed(hub, COMMUNE, 0, 500)["deliveries"][seen:]]
    assert "erasure_requested" in later
    assert answer["demandes"]
