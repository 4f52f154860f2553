"""A fiche in review against one porteur only because one of its fiches shares too little
with it (a weak edge: no veto field different, no household rule, no two phones), while
it links another fiche of that porteur which is one person with both: the worker links
it, as `capactif dedup` keeps the three in one cluster. On both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.bootstrap import Hub
from hub.services.matching import duplicates
from tests.integration.dedup_world import CCI, COMMUNE, fiche_of, hub_for, porteur_of, push
from tests.unit.matching.test_matching_weak_edge import ONE_PERSON, _by_probability

pytestmark = pytest.mark.integration


@pytest.fixture(name="hub")
def hub_deciding_on_probability(db_url: str, tmp_path: Path) -> Iterator[Hub]:
    """The hub with the shipped model keeping a cluster's fiches on the probability alone."""
    model_file = tmp_path / "model.json"
    model_file.write_text(_by_probability().to_json(), encoding="utf-8")
    for hub, _clock in hub_for(db_url, tmp_path, matching_model_file=model_file):
        yield hub


def _porteur(row: dict[str, str]) -> dict[str, Any]:
    address = {"ligne": row["adresse_ligne"], "code_postal": row["code_postal"],
               "commune": row["commune"]}
    return {k: v for k, v in row.items()
            if k not in ("adresse_ligne", "code_postal", "commune")} | {"adresse": address}


# A fiche sent to the hub gives a first name (the batch reads files without one).
@pytest.mark.parametrize("case", sorted(c for c, rows in ONE_PERSON.items()
                                        if all(row.get("prenom") for row in rows)))
def test_a_fiche_a_weak_edge_holds_in_review_joins_the_porteur_as_the_batch_does(hub, case):
    first, middle, last = (_porteur(row) for row in ONE_PERSON[case])
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", first))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", middle))
    porteur = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, COMMUNE, "A-2") == porteur
    push(hub, CCI, fiche_of(CCI, "C-1", last))
    assert porteur_of(hub, CCI, "C-1") == porteur
    assert duplicates.list_review_items(hub)["items"] == []
