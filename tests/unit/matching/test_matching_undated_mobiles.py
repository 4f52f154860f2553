"""One first name at one home, no birth date on a side and two mobiles plainly different
(`household.UNDATED`), whatever model it runs (the shipped one, or one trained on
typo-heavy files that show households, every veto lifted): a family's mailbox on both
fiches (famille.dupont@, which names no one) does not outweigh the two mobiles, so a
father and his son without birth dates stay two porteurs; and where one fiche gives the
birth date, the other none and a new mobile, the man may have changed his number as
often as he may be his son's father: a coordinator decides, under one home or one
family's mailbox. Online (both decision paths, either fiche first) and in batch."""

from __future__ import annotations

import pytest

from tests.unit.matching.test_matching_family_traps import MODELS, both_orders, model_named
from tests.unit.matching.test_matching_household_review import _batch, _fiche

_FATHER = "06 11 22 33 44"
_SON = "06 55 66 77 88"
_FAMILY = "famille.dupont@orange.fr"

TWO = {
    "a family's mailbox, no birth dates, own mobiles": (
        _fiche("Dupont", "Jean", "", telephone=_FATHER, courriel=_FAMILY),
        _fiche("Dupont", "Jean", "", telephone=_SON, courriel=_FAMILY),
    ),
    "a family's gmail mailbox, no birth dates, own mobiles": (
        _fiche("Dupont", "Jean", "", telephone=_FATHER, courriel="familledupont@gmail.com"),
        _fiche("Dupont", "Jean", "", telephone=_SON, courriel="familledupont@gmail.com"),
    ),
    "an initial's mailbox, no birth dates, own mobiles": (
        _fiche("Dupont", "Jean", "", telephone=_FATHER, courriel="j.dupont@orange.fr"),
        _fiche("Dupont", "Jean", "", telephone=_SON, courriel="j.dupont@orange.fr"),
    ),
}
MAYBE_ONE = {
    "a new mobile, no birth date on a side, one home": (
        _fiche("Dupont", "Jean", "1975-04-03", telephone=_FATHER),
        _fiche("Dupont", "Jean", "", telephone=_SON),
    ),
    "a new mobile, no birth date on a side, one home and a family's mailbox": (
        _fiche("Dupont", "Jean", "1975-04-03", telephone=_FATHER, courriel=_FAMILY),
        _fiche("Dupont", "Jean", "", telephone=_SON, courriel=_FAMILY),
    ),
}
# His own address on both fiches (it spells his first name): the model links, as before.
ONE = {
    "a new mobile, no birth date on a side, his own mailbox": (
        _fiche("Dupont", "Jean", "1975-04-03", telephone=_FATHER, courriel="jean.dupont@orange.fr"),
        _fiche("Dupont", "Jean", "", telephone=_SON, courriel="jean.dupont@orange.fr"),
    ),
}


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("case", sorted(TWO))
def test_a_family_mailbox_does_not_join_a_father_and_his_son_with_their_own_mobiles(
        case, model_name, tmp_path):
    model = model_named(model_name)
    assert both_orders(TWO[case], model) == {"new"}
    assert _batch(TWO[case], model, tmp_path) == (2, 0)


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("case", sorted(MAYBE_ONE))
def test_a_new_mobile_beside_a_fiche_without_birth_date_at_one_home_is_reviewed(
        case, model_name, tmp_path):
    model = model_named(model_name)
    assert both_orders(MAYBE_ONE[case], model) == {"review"}
    clusters, review_pairs = _batch(MAYBE_ONE[case], model, tmp_path)
    assert (clusters, review_pairs) == (2, 1)


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("case", sorted(ONE))
def test_his_own_mailbox_beside_a_new_mobile_still_links(case, model_name, tmp_path):
    model = model_named(model_name)
    assert both_orders(ONE[case], model) == {"link"}
    assert _batch(ONE[case], model, tmp_path) == (1, 0)
