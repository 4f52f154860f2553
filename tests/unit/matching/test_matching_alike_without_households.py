"""First names alike at one home where the training file shows no households and its
duplicates replace first names and birth dates often (every veto lifted: the FEBRL
family): a fiche retyped with the first name a letter off and the birth date left out
links on the surname, the first name and the home, as the model weighs them; nothing
there is a twin's. Wherever a veto holds or the file shows households, twins of alike
first names at one home are never linked on what a household shares. Online, on both
decision paths, and the batch puts the same fiches together."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.matching.household import HOUSEHOLD_SHARE
from hub.domain.matching.model import default_model
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_household_alike_names import _kinds
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "592 dalrymple street", "code_postal": "4356", "commune": "vaucluse"}
# A person's fiche and the same typed again, a letter of the first name off (replaced,
# added, dropped), the birth date left out of it.
RETYPED = [("Hoffman", "Jamie", "Jajie"), ("Richmond", "Michael", "Michadl"),
           ("Campain", "Clodagh", "Clodqgh"), ("Boulter", "Harrison", "Harrisn")]
# Twins at one home, one birth date, no contact: first names a letter apart, both in use.
TWINS = [("Martin", "Léa", "Léo"), ("Benali", "Hamid", "Hamida"), ("Durand", "Marine", "Martine"),
         ("Kerbrat", "Alexis", "Alexie")]


def _no_households_vetoes_kept():
    """The shipped model as trained on a file without households: its vetoes kept."""
    model = default_model()
    return dataclasses.replace(model, training={**model.training, HOUSEHOLD_SHARE: 0.0})


FEBRL_LIKE = {"typo-heavy, no households": lambda: _typo_heavy(0.0)}
CAREFUL = {"shipped": default_model, "typo-heavy, households": lambda: _typo_heavy(0.3),
           "no households, vetoes kept": _no_households_vetoes_kept}


def _retyped(person: tuple[str, str, str]) -> tuple[dict[str, str], dict[str, str]]:
    surname, first_name, typed = person
    return ({"nom": surname, "prenom": first_name, "date_naissance": "1965-08-31", **_HOME},
            {"nom": surname, "prenom": typed, **_HOME})


@pytest.mark.parametrize("person", RETYPED, ids=[p[1] for p in RETYPED])
def test_a_first_name_retyped_without_the_birth_date_links_where_the_file_shows_no_households(
        person):
    model = FEBRL_LIKE["typo-heavy, no households"]()
    assert model.decision.every_veto_lifted() and not model.decision.household_apart
    first, second = _retyped(person)
    assert _kinds(first, second, model) == _kinds(second, first, model) == {"link"}


@pytest.mark.parametrize("model_name", sorted(CAREFUL))
@pytest.mark.parametrize("person", RETYPED, ids=[p[1] for p in RETYPED])
def test_a_first_name_retyped_without_the_birth_date_is_never_linked_elsewhere(
        person, model_name):
    model = CAREFUL[model_name]()
    first, second = _retyped(person)
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("model_name", ["shipped", "typo-heavy, households"])
@pytest.mark.parametrize("twins", TWINS, ids=[f"{t[1]}-{t[2]}" for t in TWINS])
def test_twins_of_alike_first_names_at_one_home_are_never_linked_where_the_file_shows_households(
        twins, model_name):
    """Whether every veto is lifted or none: the household rule holds them."""
    model = CAREFUL[model_name]()
    surname, first_name, other = twins
    first = {"nom": surname, "prenom": first_name, "date_naissance": "2012-05-03", **_HOME}
    second = {**first, "prenom": other}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("model_name", sorted(FEBRL_LIKE | CAREFUL))
def test_online_and_batch_put_the_same_fiches_together(tmp_path, model_name):
    model = (FEBRL_LIKE | CAREFUL)[model_name]()
    rows = []
    for n, person in enumerate(RETYPED):
        first, second = _retyped(person)
        home = {"adresse_ligne": f"{n + 3} rue des Tilleuls"}
        rows += [{"id": f"{n}-0", **first, **home}, {"id": f"{n}-1", **second, **home}]
    _batch, together_batch, together_online = together(rows, model, tmp_path)
    assert together_batch == together_online
    expected = {(f"{n}-0", f"{n}-1") for n in range(len(RETYPED))}
    assert together_batch == (expected if model_name in FEBRL_LIKE else set())


# Siblings at one home, first names plainly different (not alike), a birth date on one
# side at most: two people under every model, the FEBRL-like one included.
SIBLINGS = [("Hiltonovic", "Emily", "Thomas"), ("Garrow", "Sarah", "Benjamin"),
            ("Pannell", "Olivia", "Jack"), ("Reid", "Chloe", "Lachlan")]


@pytest.mark.parametrize("dated", ["one side", "neither side"])
@pytest.mark.parametrize("model_name", sorted(FEBRL_LIKE | CAREFUL))
@pytest.mark.parametrize("siblings", SIBLINGS, ids=[f"{s[1]}-{s[2]}" for s in SIBLINGS])
def test_siblings_of_plainly_different_first_names_at_one_home_are_never_linked(
        siblings, model_name, dated):
    model = (FEBRL_LIKE | CAREFUL)[model_name]()
    surname, first_name, other = siblings
    first = {"nom": surname, "prenom": first_name, **_HOME}
    if dated == "one side":
        first["date_naissance"] = "1998-02-11"
    second = {"nom": surname, "prenom": other, **_HOME}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)
