"""`bench/dedup_review_pairs.py`: a household pair held as names exchanged only is told
from one person by the names the other way round."""

from __future__ import annotations

from bench.dedup_review_pairs import BETWEEN_TWO, exchanged_one_way, household_names, split_causes
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


_LILAS = {"adresse_ligne": "3 rue des Lilas", "code_postal": "63000", "commune": "Clermont-Ferrand"}


def _records(**rows: dict[str, str]):
    return {key: normalise_record(row, key) for key, row in rows.items()}


def test_a_link_split_by_a_pair_the_household_rule_holds_is_told_so():
    """Marianne's fiche without a home links her with a birth date and with a letter typed
    wrong in her first name; the two fiches at her home are the household rule's doubt
    (twins?), which splits the link."""
    model = _typo_heavy()
    records = _records(
        x={"nom": "Garnier", "prenom": "Marianne", "date_naissance": "1972-04-13",
           "telephone": "0786892654", **_LILAS},
        b={"nom": "Garnier", "prenom": "Marianne", "courriel": "marianne.garnier@gmail.com",
           "telephone": "0786892654", "commune": "Clermont-Ferrand"},
        y={"nom": "Garnier", "prenom": "Marialnne", "date_naissance": "1972-04-13",
           "telephone": "0786892654", **_LILAS})
    causes = split_causes([(records["b"], records["y"])], {"x": "c1", "b": "c1", "y": "c2"},
                          records, model)
    assert causes == [("a pair across held by the household rule (first names alike, one "
                       "home)", ("x", "y"))]


def test_a_fiche_without_a_birth_date_between_two_people_is_told_so():
    model = _typo_heavy()
    records = _records(z={"nom": "Colin", "prenom": "Adrienne", **_LILAS},
                       w={"nom": "Colin", "prenom": "Adrienne", "date_naissance": "1979-03-16",
                          **_LILAS})
    assert split_causes([(records["z"], records["w"])], {"z": "z", "w": "w"}, records,
                        model) == [(BETWEEN_TWO, None)]


def test_pairs_no_clustering_split_have_no_cause():
    model = _typo_heavy()
    records = _records(a={"nom": "Colin", "prenom": "Adrienne", "code_postal": "63000"},
                       b={"nom": "Colin", "prenom": "Justine", "code_postal": "63000"})
    assert split_causes([(records["a"], records["b"])], {"a": "a", "b": "b"}, records,
                        model) == []
