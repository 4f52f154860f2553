"""A « same » that moves one fiche alone (the father's porteur keeps his own fiches, the
bridge joins the son's) takes along the fiches the coordination cannot see that the
matcher linked on that fiche, as a separation does (`fiches_proches`); a hidden fiche
linked on both the fiche and one that stays gets a porteur of its own, never left with
either person. On both databases."""

from __future__ import annotations

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.delivery.feed import read_feed
from hub.services.matching import duplicates
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    NOT_FOR_COORDINATION,
    PFIL,
    fiche_of,
    porteur_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)
from tests.integration.test_online_chains import FATHER, NO_PHONE, SON

pytestmark = pytest.mark.integration

# The bridge (the father's porteur takes it by his e-mail, an item asks of it against the
# son), and the commune's hidden fiches: the bridge's person (the birth date only the
# bridge gives), the father's own (his mobile), or as close to either (the names, the
# e-mail and the home alone).
BRIDGE = NO_PHONE
EITHER = {field: value for field, value in FATHER.items() if field != "telephone"}


def _bridge_decided_the_sons(hub, bridge: dict, hidden: dict) -> None:
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", FATHER))
    push(hub, CCI, fiche_of(CCI, "C-1", SON))
    push(hub, PFIL, fiche_of(PFIL, "P-1", bridge))
    kept_out = fiche_of(COMMUNE, "A-2", hidden)
    record_consents(hub, [kept_out], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, kept_out, consent=False)
    father = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, PFIL, "P-1") == porteur_of(hub, COMMUNE, "A-2") == father
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    answer = duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR,
                               revision=item["revision"])
    assert answer["fiche_seule"] is True
    assert porteur_of(hub, COMMUNE, "A-1") == father
    assert porteur_of(hub, PFIL, "P-1") == porteur_of(hub, CCI, "C-1") != father
    assert [f["fiche_id"] for f in answer["fusion"]["fiches"]] == ["P-1"]  # A-2 unnamed


def test_a_hidden_fiche_matched_on_the_moved_fiche_goes_with_it(world):
    hub, _clock = world
    _bridge_decided_the_sons(hub, BRIDGE, BRIDGE)
    assert porteur_of(hub, COMMUNE, "A-2") == porteur_of(hub, PFIL, "P-1")


def test_a_hidden_fiche_matched_on_a_fiche_that_stays_stays(world):
    hub, _clock = world
    _bridge_decided_the_sons(hub, BRIDGE, FATHER)  # the father's mobile, not the bridge's date
    assert porteur_of(hub, COMMUNE, "A-2") == porteur_of(hub, COMMUNE, "A-1")


def test_a_hidden_fiche_matched_on_both_gets_a_porteur_of_its_own(world):
    hub, _clock = world
    _bridge_decided_the_sons(hub, BRIDGE, EITHER)  # as close to the father's as to the bridge
    apart = porteur_of(hub, COMMUNE, "A-2")
    assert apart not in (porteur_of(hub, COMMUNE, "A-1"), porteur_of(hub, PFIL, "P-1"))
    notices = [d for d in read_feed(hub, COMMUNE, 0, 500)["deliveries"]
               if d.get("evenement") == "merged"]
    assert notices and notices[-1].get("porteurs_a_part") == [apart]
