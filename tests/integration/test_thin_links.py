"""A fiche holding the names and a postcode only (a thin fiche) never bridges two people
of one name, and its outcome does not depend on the order the fiches arrive in: online
on both databases, and `capactif dedup` on the same identities (issue 16)."""

from __future__ import annotations

import pytest

from hub.services.delivery.feed import read_feed
from hub.services.matching import duplicates
from tests.integration.dedup_world import CCI, COMMUNE, PFIL, fiche_of, hub_for, porteur_of, push
from tests.integration.test_online_chains import _batch_clusters

pytestmark = pytest.mark.integration

# Two namesakes of a common name in one postcode, at two streets: their pair is "new".
SOPHIE_JAUDE = {"nom": "Lefebvre", "prenom": "Sophie",
                "adresse": {"ligne": "1 place Jaude", "code_postal": "63000"}}
SOPHIE_BLATIN = {"nom": "Lefebvre", "prenom": "Sophie", "date_naissance": "1990-03-14",
                 "adresse": {"ligne": "22 rue Blatin", "code_postal": "63000"}}
SOPHIE_THIN = {"nom": "Lefebvre", "prenom": "Sophie", "adresse": {"code_postal": "63000"}}
# A father and his son of one rare name at one address, thirty years apart.
_HOME = {"ligne": "5 rue de Siam", "code_postal": "29200", "commune": "Brest"}
YANN_FATHER = {"nom": "Kerhervé", "prenom": "Yann", "date_naissance": "1958-06-02",
               "adresse": _HOME}
YANN_SON = {"nom": "KERHERVE", "prenom": "Yann", "date_naissance": "1988-09-21",
            "adresse": _HOME}
YANN_THIN = {"nom": "Kerhervé", "prenom": "Yann", "adresse": {"code_postal": "29200"}}

_MEMBERS = (COMMUNE, CCI, PFIL)


@pytest.fixture
def world(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def _push_in_order(hub, people: list[dict], order: tuple[int, ...]) -> list[str]:
    """Push person i as member i's fiche, in `order`; the porteur of each, by person."""
    for i in order:
        push(hub, _MEMBERS[i], fiche_of(_MEMBERS[i], f"F-{i}", people[i]))
    return [porteur_of(hub, _MEMBERS[i], f"F-{i}") for i in range(len(people))]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1)])
def test_a_thin_fiche_never_joins_two_namesakes_in_any_order(world, order):
    hub, _clock = world
    jaude, blatin, thin = _push_in_order(hub, [SOPHIE_JAUDE, SOPHIE_BLATIN, SOPHIE_THIN], order)
    assert jaude != blatin
    assert thin not in (jaude, blatin)


def test_the_batch_keeps_two_namesakes_and_their_thin_fiche_apart(tmp_path):
    jaude, blatin, thin = _batch_clusters(tmp_path, [SOPHIE_JAUDE, SOPHIE_BLATIN, SOPHIE_THIN])
    assert len({jaude, blatin, thin}) == 3


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (0, 2, 1)])
def test_a_thin_fiche_of_a_father_and_son_s_name_is_nobody_s_in_any_order(world, order):
    """Father, son and thin fiche arriving in any order: three porteurs, the thin fiche
    linked to neither (it is the father's or the son's, a coordinator's question)."""
    hub, _clock = world
    father, son, thin = _push_in_order(hub, [YANN_FATHER, YANN_SON, YANN_THIN], order)
    assert len({father, son, thin}) == 3
    items = duplicates.list_review_items(hub)["items"]
    assert len(items) >= 1


def test_the_batch_keeps_a_father_his_son_and_a_thin_fiche_of_their_name_apart(tmp_path):
    clusters = _batch_clusters(tmp_path, [YANN_FATHER, YANN_SON, YANN_THIN])
    assert len(set(clusters)) == 3



# A rarer name: names and a postcode score over the shipped thin link bound (0.99).
ANNE_NOTE = {"nom": "Kerguelen", "prenom": "Anne", "adresse": {"code_postal": "63000"}}
ANNE = {"nom": "Kerguelen", "prenom": "Anne", "date_naissance": "1984-02-11",
        "courriel": "anne.kerguelen@exemple.fr",
        "adresse": {"ligne": "8 rue Blatin", "code_postal": "63000"}}


def test_within_one_member_a_names_and_postcode_fiche_joins_its_porteur(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", ANNE))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", ANNE_NOTE))
    assert porteur_of(hub, COMMUNE, "A-2") == porteur_of(hub, COMMUNE, "A-1")
    assert duplicates.list_review_items(hub)["items"] == []


def test_a_names_and_postcode_fiche_never_links_to_another_member_s_porteur(world):
    """What a guesser has (a name and a town) is no link across members: a review item."""
    hub, _clock = world
    own = fiche_of(COMMUNE, "A-1", ANNE)  # followed by the commune alone (no referent)
    own["accompagnement"] = [{**own["accompagnement"][0], "structure": COMMUNE.member_id}]
    push(hub, COMMUNE, own)
    push(hub, CCI, fiche_of(CCI, "C-1", ANNE_NOTE))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert "anne.kerguelen@exemple.fr" not in str(read_feed(hub, CCI, 0, 100)["deliveries"])
    assert len(duplicates.list_review_items(hub)["items"]) == 1


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (0, 2, 1), (2, 1, 0)])
def test_within_one_member_a_thin_fiche_never_joins_two_namesakes(world, order):
    """One member's three fiches (the namesakes and their note), in any order: the note
    attaches to one of them at most, and the namesakes stay two porteurs."""
    hub, _clock = world
    people = [{**ANNE_NOTE, "adresse": {"ligne": "1 place Jaude", "code_postal": "63000"}},
              {**ANNE_NOTE, "date_naissance": "1990-03-14",
               "adresse": {"ligne": "22 rue Blatin", "code_postal": "63000"}}, ANNE_NOTE]
    for i in order:
        push(hub, COMMUNE, fiche_of(COMMUNE, f"F-{i}", people[i]))
    jaude, blatin = porteur_of(hub, COMMUNE, "F-0"), porteur_of(hub, COMMUNE, "F-1")
    assert jaude != blatin
