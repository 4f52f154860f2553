"""The worker's matching with the shipped model (its training file showed households):
four men named Tom born the same day, four surnames, at 3, 4, 5 and 6 of one street in
one town, pushed by three members, get four porteurs and no review item; the fiche of
one of them typed again by another member still joins his porteur. On both databases."""

from __future__ import annotations

import pytest

from hub.services.ingest import processing
from hub.services.matching import duplicates
from tests.integration.dedup_world import CCI, COMMUNE, PFIL, fiche_of, hub_for, porteur_of, push

pytestmark = pytest.mark.integration

NEIGHBOURS = [("Girard", "3"), ("Bonnet", "4"), ("Lambert", "5"), ("Fontaine", "6")]


def _tom(surname: str, number: str) -> dict:
    return {"nom": surname, "prenom": "Tom", "date_naissance": "1990-05-14",
            "adresse": {"ligne": f"{number} rue des Tilleuls", "code_postal": "69003",
                        "commune": "Lyon"}}


@pytest.fixture
def world(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def test_neighbours_of_one_first_name_and_birth_date_get_a_porteur_each(world):
    hub, _clock = world
    pushed = []
    for n, (surname, number) in enumerate(NEIGHBOURS):
        member = (COMMUNE, CCI, PFIL)[n % 3]
        push(hub, member, fiche_of(member, f"T-{n}", _tom(surname, number)))
        pushed.append((member, f"T-{n}"))
    retyped = _tom("GIRARD", "3")
    push(hub, CCI, fiche_of(CCI, "T-again", {**retyped, "prenom": "TOM"}))
    porteurs = [porteur_of(hub, member, ref) for member, ref in pushed]
    assert len(set(porteurs)) == 4
    assert porteur_of(hub, CCI, "T-again") == porteurs[0]
    assert processing.pipeline_status(hub)["porteurs"] == 4
    assert duplicates.list_review_items(hub)["items"] == []
