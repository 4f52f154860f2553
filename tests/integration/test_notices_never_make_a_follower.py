"""A notice is no reason to follow a porteur. Routing sends a fiche to the members already
following its porteur (`linked`): those owning one of its fiches or sent one of its fiches.
A notice carrying no fiche (a referent proposal, a merge or a separation, an erasure
request) disclosed nothing, and made its recipient a follower all the same: a member
proposed as referent that declined, or whose fiche a coordinator merged by mistake then
separated, was sent every later version of the porteur's fiches, e-mail, phone and
address included. On both databases."""

from __future__ import annotations

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.accounts.auth import Caller
from hub.services.console import meeting_actions
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.fiches import read_own_fiche
from hub.services.matching import duplicates
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    PFIL,
    THIERS_HOME,
    data_read_by,
    fiche_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration
CHAMBER = Caller("chambre-agriculture-63", "", "chambre_agriculture", "accompagnement")
AMBERT = Caller("commune-ambert", "", "commune", "accueil")


def test_a_member_proposed_as_referent_that_declined_is_not_sent_the_porteur(coordination):
    hub, session = coordination["hub"], coordination["session"]
    porteur = coordination["porteurs"]["F-ORPHELIN"]
    proposal = meeting_actions.propose_referent(hub, session, porteur, CHAMBER.member_id)
    meeting_actions.answer_proposal(hub, CHAMBER, proposal, {"reponse": "refusee"})
    seen = read_feed(hub, CHAMBER, 0, 500)["next_cursor"]
    fiche = read_own_fiche(hub, AMBERT, AMBERT.member_id, "F-ORPHELIN")["fiche"]
    assert ingest.push_batch(hub, AMBERT, [{**fiche, "version": 2}])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    assert data_read_by(hub, CHAMBER, seen) == []


def _commune_s(version: int) -> dict:
    fiche = fiche_of(COMMUNE, "A-1", PERSON, version)
    fiche["accompagnement"][0].update(structure=COMMUNE.member_id)
    return fiche


def _merged_by_mistake(hub) -> str:
    """The commune's fiche, then the CCI's of someone else, merged by a coordinator: the
    porteur kept (the commune's)."""
    push(hub, COMMUNE, _commune_s(1))
    push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
    [item] = duplicates.list_review_items(hub, actor=COORDINATOR.member_id)["items"]
    _provisional, kept = (side["porteur_id"] for side in item["cotes"])
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=COORDINATOR.member_id)
    return kept


def test_a_member_whose_fiche_was_merged_by_mistake_then_separated_is_not_sent_the_porteur(
        world):
    hub, _clock = world
    kept = _merged_by_mistake(hub)
    duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=COORDINATOR.member_id)
    seen = read_feed(hub, CCI, 0, 500)["next_cursor"]
    push(hub, COMMUNE, _commune_s(2))
    assert data_read_by(hub, CCI, seen) == []


def test_a_fiche_sent_while_a_mistaken_merge_stood_makes_no_follower_once_separated(world):
    """The CCI's fiche merged by mistake into the commune's porteur: the commune's next
    version reached the CCI as an owner of that porteur's fiches. Separated, the CCI is no
    longer sent the commune's person for what it was sent while the merge stood."""
    hub, _clock = world
    kept = _merged_by_mistake(hub)
    push(hub, COMMUNE, _commune_s(2))
    assert [d["fiche"]["version"] for d in data_read_by(hub, CCI)] == [2]  # while merged
    duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=COORDINATOR.member_id)
    seen = read_feed(hub, CCI, 0, 500)["next_cursor"]
    push(hub, COMMUNE, _commune_s(3))
    assert data_read_by(hub, CCI, seen) == []


def test_a_follower_before_a_mistaken_merge_still_follows_once_separated(world):
    """The PFIL was sent the commune's fiche by subscription (Ambert), then its namesake
    fiche was merged by mistake into that porteur and separated: what it was sent before
    the merge still makes it a follower. The project moves to Thiers (no subscription):
    the PFIL is sent the next version all the same."""
    hub, clock = world
    push(hub, COMMUNE, _commune_s(1))
    assert [d["fiche"]["version"] for d in data_read_by(hub, PFIL)] == [1]
    clock.advance(seconds=1)
    push(hub, PFIL, fiche_of(PFIL, "P-1", NAMES_ONLY))
    [item] = duplicates.list_review_items(hub, actor=COORDINATOR.member_id)["items"]
    _provisional, kept = (side["porteur_id"] for side in item["cotes"])
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=COORDINATOR.member_id)
    clock.advance(seconds=1)
    duplicates.unmerge(hub, kept, PFIL.member_id, "P-1", actor=COORDINATOR.member_id)
    seen = read_feed(hub, PFIL, 0, 500)["next_cursor"]
    moved = _commune_s(2)
    moved["porteur"]["adresse"] = THIERS_HOME
    moved["projet"]["commune_implantation"] = {"code_insee": "63430", "nom": "Thiers"}
    push(hub, COMMUNE, moved)
    assert [d["fiche"]["version"] for d in data_read_by(hub, PFIL, seen)] == [2]
