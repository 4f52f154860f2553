"""`bench/dedup_review_pairs.py`: a household pair held as names exchanged only is told
from one person by the names the other way round."""

from __future__ import annotations

from bench.dedup_review_pairs import exchanged_one_way, household_names
from hub.domain.matching import normalise_record
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "4 avenue de la Gare", "code_postal": "21000", "commune": "Dijon",
         "date_naissance": "1973-07-07"}


def _pair(first: tuple[str, str], second: tuple[str, str]):
    model = _typo_heavy()
    a, b = (normalise_record({"nom": nom, "prenom": prenom, **_HOME}, f"f{n}")
            for n, (nom, prenom) in enumerate((first, second)))
    return a, b, model.score(a, b)


def test_twins_one_typed_with_names_exchanged_are_alike_one_way_only():
    """Ethan KEMSLEY typed KEMSLEY Ethan, against his twin Jaiden KEMSLEY: his first name
    is the other's surname, but the other's first name is nothing like his surname."""
    a, b, explanation = _pair(("Ethan", "Kemsley"), ("Kemsley", "Jaiden"))
    assert explanation.household_rule == "unsure" and explanation.may_be_one
    assert exchanged_one_way(a, b, explanation) < 0.7


def test_one_person_with_names_exchanged_and_a_typo_is_alike_both_ways():
    """Harry FURNESS typed FURNESS Harft: Harft is near Harry, Furness is Furness."""
    a, b, explanation = _pair(("Furness", "Harft"), ("Harry", "Furness"))
    assert explanation.household_rule == "unsure" and explanation.may_be_one
    assert exchanged_one_way(a, b, explanation) >= 0.7


def test_first_names_alike_are_not_names_exchanged():
    a, b, explanation = _pair(("Kemsley", "Jaiden"), ("Kemsley", "Jayden"))
    assert exchanged_one_way(a, b, explanation) is None


def test_household_pairs_are_told_by_the_first_names_in_use():
    """Jessica beside Jessixa (a letter off, no name) is the typo a coordinator reads at a
    glance and the pattern of a real name the list lacks; Léa beside Léo are two names."""
    model = _typo_heavy()
    a, b, explanation = _pair(("Matthews", "Jessica"), ("Matthews", "Jessixa"))
    assert household_names(a, b, explanation, model) == "one in use, a letter apart"
    a, b, explanation = _pair(("Matthews", "Léa"), ("Matthews", "Léo"))
    assert household_names(a, b, explanation, model) == "both in use, a letter apart"
    a, b, explanation = _pair(("Matthews", "Jessica"), ("Matthews", "Jexsiac"))
    assert household_names(a, b, explanation, model) == "one in use, further"


def test_pairs_no_household_rule_holds_have_no_first_names_line():
    model = _typo_heavy()
    a, b, explanation = _pair(("Matthews", "Isabelle"), ("Matthews", "Isabelle"))
    assert household_names(a, b, explanation, model) is None
