"""A fiche holding the names and a postcode only (a thin fiche) never bridges two people
of one name, and its outcome does not depend on the order the fiches arrive in: online
on both databases, and `capactif dedup` on the same identities (issue 16)."""

from __future__ import annotations

import pytest

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

