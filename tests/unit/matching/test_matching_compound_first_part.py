"""A compound first name and its first part alone at one home, born the same day on both
fiches (Jean / Jean-Léon, Marie / Marie-Julie): one person, linked online (both decision
paths) and in batch. A father and his son, a mother and her daughter (years apart), a
fiche without its birth date, the second part alone (Sophie / Anne-Sophie), each their
own mobile, twins of two names: never linked by it (`compound_first_part`)."""

from __future__ import annotations

import pytest

from hub.domain.matching.model import MatchModel, default_model
from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_household_review import _batch, _fiche, _kinds
from tests.unit.matching.test_matching_precision_families import _typo_heavy

MODELS = {"shipped": default_model, "typo-heavy, households": lambda: _typo_heavy(0.3)}

ONE = {
    "Jean / Jean-Léon": (_fiche("Moreau", "Jean-Léon", "1965-09-24"),
                         _fiche("Moreau", "Jean", "1965-09-24")),
    "Marie-Julie / MARIE, one mobile": (
        _fiche("Tanvil", "Marie-Julie", "1996-04-22", telephone="06 40 47 13 52"),
        _fiche("TANVIL", "MARIE", "22/04/1996", telephone="0640471352")),
    "Jean-Jérôme / Jean, one e-mail": (
        _fiche("Lévêque", "Jean-Jérôme", "1971-02-03", courriel="jj.leveque@free.fr"),
        _fiche("Leveque", "JEAN", "1971-02-03", courriel="jj.leveque@free.fr")),
}
TWO = {
    "a father Jean and his son Jean-Léon": (_fiche("Moreau", "Jean", "1960-03-04"),
                                            _fiche("Moreau", "Jean-Léon", "1990-08-01")),
    "a mother Marie and her daughter Marie-Julie": (
        _fiche("Roux", "Marie", "1961-01-20"), _fiche("Roux", "Marie-Julie", "1988-06-11")),
    "each their own mobile": (
        _fiche("Brun", "Jean", "2001-05-05", telephone="06 11 22 33 44"),
        _fiche("Brun", "Jean-Luc", "2001-05-05", telephone="06 55 66 77 88")),
}
HELD = {
    "no birth date on one side": (_fiche("Garnier", "Jean-Léon", "1965-09-24"),
                                  _fiche("Garnier", "Jean", "")),
    "the second part alone": (_fiche("Faure", "Anne-Sophie", "2006-03-10"),
                              _fiche("Faure", "Sophie", "2006-03-10")),
}


def _both_orders(pair, model: MatchModel) -> set[str]:
    return set(_kinds(pair, model)) | set(_kinds(pair[::-1], model))


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("case", sorted(ONE))
def test_a_compound_and_its_first_part_born_the_same_day_link(case, model_name, tmp_path):
    model = MODELS[model_name]()
    assert _both_orders(ONE[case], model) == {"link"}
    assert _batch(ONE[case], model, tmp_path) == (1, 0)


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("case", sorted(TWO))
def test_parents_children_and_own_mobiles_stay_two_people(case, model_name):
    assert "link" not in _both_orders(TWO[case], MODELS[model_name]())


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("case", sorted(HELD))
def test_without_both_dates_or_with_the_second_part_a_coordinator_decides(case, model_name):
    assert "link" not in _both_orders(HELD[case], MODELS[model_name]())


@pytest.mark.parametrize("typo_heavy", [False, True], ids=["shipped", "typo-heavy"])
def test_online_and_batch_put_the_same_fiches_together(tmp_path, typo_heavy):
    """Each case in its own town: the batch and the online matcher (each fiche against
    the ones before it) put together the pairs of one person only."""
    rows = []
    for group, cases in (("one", ONE), ("two", TWO), ("held", HELD)):
        for n, case in enumerate(sorted(cases)):
            for k, row in enumerate(cases[case]):
                home = {"adresse_ligne": f"{n + 2} rue des Tilleuls",
                        "code_postal": f"63{len(rows) // 2:03d}", "commune": f"Ville {group} {n}"}
                rows.append({f: "" for f in RECORD_FIELDS} | row | home
                            | {"id": f"{group}{n}-{k}"})
    _clusters, in_batch, online = together(
        rows, _typo_heavy(0.3) if typo_heavy else default_model(), tmp_path)
    assert in_batch == online
    assert in_batch == {(f"one{n}-0", f"one{n}-1") for n in range(len(ONE))}
