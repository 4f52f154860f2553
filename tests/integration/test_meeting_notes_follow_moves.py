"""The monthly meeting's notes on a porteur (a parrain, « à voir ») stay the porteur's when
its fiches move: a fiche separated then erased takes none of them along (they were sealed
under its key, the porteur's oldest), and a merge shows the absorbed porteur's notes on
the porteur that keeps them. On both databases."""

from __future__ import annotations

import pytest

from hub.services.console import meeting_actions
from hub.services.privacy import erasure
from tests.integration.dedup_world import (
    CCI,
    COORDINATION_SESSION,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    PFIL,
    RETYPED,
    coordination_post,
    decided_same,
    fiche_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration



def _notes(hub, porteur):
    return sorted((a.kind, a.parrain, a.note) for a in meeting_actions.actions_of(hub, porteur))


@pytest.mark.parametrize("how", ["porteur_request", "fiche_removed"])
def test_a_separated_fiche_erased_takes_none_of_its_old_porteur_s_notes(world, how):
    hub, client, creds = world
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))  # the oldest fiche: the notes' key
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", RETYPED))
    p = porteur_of(hub, CCI, "C-1")
    meeting_actions.record_parrain(hub, COORDINATION_SESSION, p, "Jeanne Marraine", "appelée")
    meeting_actions.keep_to_discuss(hub, COORDINATION_SESSION, p, "voir le local")
    before = _notes(hub, p)
    answer = coordination_post(client, creds, f"/v1/porteurs/{p}/unmerge",
                               {"membre": CCI.member_id, "fiche_id": "C-1"})
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, COORDINATOR, "P-1") == p
    assert _notes(hub, p) == before
    if how == "porteur_request":
        erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    else:
        erasure.delete_fiche(hub, CCI, CCI.member_id, "C-1")
    assert _notes(hub, p) == before
    assert ("parrain", "Jeanne Marraine", "appelée") in before


def test_a_merge_shows_the_absorbed_porteur_s_notes_on_the_porteur_kept(world):
    hub, client, creds = world
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "Q-1", NAMES_ONLY))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    x = porteur_of(hub, CCI, "C-1")
    assert x != porteur_of(hub, COORDINATOR, "Q-1")
    meeting_actions.record_parrain(hub, COORDINATION_SESSION, x, "Jeanne Marraine", "appelée")
    noted = _notes(hub, x)
    decided_same(hub, client, creds, {"C-1", "Q-1"})
    z = porteur_of(hub, CCI, "C-1")
    assert z != x
    assert _notes(hub, z) == noted
    assert _notes(hub, x) == []


def _absorbed_then_separated(hub, client, creds):
    """X (C-1) with a parrain, an « à voir » note and a referent proposal, Q (Q-1) with a
    note of its own; X merged into Z by « same », then C-1 separated again: X restored."""
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "Q-1", NAMES_ONLY))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    x, q = porteur_of(hub, CCI, "C-1"), porteur_of(hub, COORDINATOR, "Q-1")
    assert x != q
    meeting_actions.record_parrain(hub, COORDINATION_SESSION, x, "Jeanne Marraine", "pour X")
    meeting_actions.keep_to_discuss(hub, COORDINATION_SESSION, x, "X : voir le local")
    meeting_actions.keep_to_discuss(hub, COORDINATION_SESSION, q, "Q : autre personne")
    proposal = meeting_actions.propose_referent(hub, COORDINATION_SESSION, x, PFIL.member_id,
                                                "pour X")
    notes = {x: _notes(hub, x), q: _notes(hub, q)}
    decided_same(hub, client, creds, {"C-1", "Q-1"})
    z = porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COORDINATOR, "Q-1") == z
    answer = coordination_post(client, creds, f"/v1/porteurs/{z}/unmerge",
                               {"membre": CCI.member_id, "fiche_id": "C-1"})
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, CCI, "C-1") == x
    return x, porteur_of(hub, COORDINATOR, "Q-1"), notes, proposal


def test_a_merge_undone_gives_the_absorbed_porteur_its_notes_back(world):
    hub, client, creds = world
    x, q, notes, proposal = _absorbed_then_separated(hub, client, creds)
    assert ("parrain", "Jeanne Marraine", "pour X") in notes[x]
    assert _notes(hub, x) == notes[x]
    assert _notes(hub, q) == notes[q]
    told = meeting_actions.answer_proposal(hub, PFIL, proposal, {"reponse": "acceptee"})
    assert told["porteur_id"] == x


def test_a_merge_undone_then_the_other_person_erased_leaves_the_notes(world):
    hub, client, creds = world
    x, q, notes, _proposal = _absorbed_then_separated(hub, client, creds)
    erasure.request_erasure(hub, COORDINATOR, {"fiche_id": "Q-1"})
    assert _notes(hub, x) == notes[x]
    assert _notes(hub, q) == []
