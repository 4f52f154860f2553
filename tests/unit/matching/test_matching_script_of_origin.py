"""A name is compared according to the script it was typed in: a Latin name without a
vowel (Lynn, Bryn, Sky) is a Latin name, never one read from Arabic or Hebrew; a name
read from another script (Arabic, Hebrew, Korean, Chinese) against one typed in Latin
letters is a name alike or not comparable, never a name plainly different."""

from __future__ import annotations

import pytest

from hub.domain.matching import Candidate, default_model, match_one
from hub.domain.matching.comparisons import AGREEING, MISSING
from hub.domain.matching.normalise import fold
from hub.services.matching.dedup_batch import run_batch
from tests.unit.matching.matching_factories import person

HOME = {"nom": "Martin", "date_naissance": "1990-03-04", "telephone": "06 12 34 56 78",
        "adresse": {"ligne": "12 rue Pasteur", "code_postal": "63600", "commune": "Ambert"}}


@pytest.mark.parametrize(("first", "second"), [
    ("Lynn", "Emma"), ("Bryn", "Paul"), ("Gwyn", "Marie"), ("Sky", "Anne"), ("JMP", "Louis"),
])
def test_a_latin_name_without_a_vowel_against_another_name_is_different(first, second):
    explanation = default_model().score(person(prenom=first, nom="Lynch"),
                                        person(prenom=second, nom="Dupont"))
    assert explanation.level_of("prenom") == "different"
    assert explanation.level_of("nom") == "different"


def test_twins_lynn_and_emma_go_to_review_online():
    decision = match_one(dict(HOME, prenom="Lynn"), [Candidate("p-1", dict(HOME, prenom="Emma"))],
                         default_model())
    assert decision.kind in {"review", "new"}


def test_twins_lynn_and_emma_stay_apart_in_a_batch(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(default_model().to_json(), encoding="utf-8")
    source = tmp_path / "people.csv"
    row = "Martin,,{},1990-03-04,,06 12 34 56 78,12 rue Pasteur,63600,Ambert\n"
    source.write_text("id,nom,nom_naissance,prenom,date_naissance,courriel,telephone,"
                      "adresse_ligne,code_postal,commune\n"
                      "A," + row.format("Lynn") + "B," + row.format("Emma"), encoding="utf-8")
    run_batch(source, tmp_path / "clusters.csv", model_path=model, workers=1)
    lines = (tmp_path / "clusters.csv").read_text(encoding="utf-8").splitlines()[1:]
    clusters = dict(line.split(",")[:2] for line in lines)
    assert clusters["A"] != clusters["B"]


@pytest.mark.parametrize(("script", "latin", "levels"), [
    ("علي", "Ali", {"fuzzy"}), ("عمر", "Omar", {"fuzzy"}), ("علي", "Omar", {MISSING}),
    ("김", "Kim", AGREEING | {"fuzzy", MISSING}), ("박", "Park", {"fuzzy", MISSING}),
    ("山田", "Yamada", {"fuzzy", MISSING}), ("민준", "Minjun", AGREEING | {"fuzzy", MISSING}),
])
def test_a_short_name_from_another_script_is_no_veto(script, latin, levels):
    explanation = default_model().score(person(nom=script, prenom=script),
                                        person(nom=latin, prenom=latin))
    assert explanation.level_of("prenom") in levels
    assert explanation.level_of("nom") in levels


def test_a_short_arabic_first_name_against_its_latin_spelling_is_no_veto_online():
    known = {"nom": "Haddad", "prenom": "Ali", "date_naissance": "1984-03-02",
             "courriel": "a.haddad@example.org", "telephone": "06 12 34 56 78"}
    for script in ("علي", "عمر"):
        decision = match_one(dict(known, prenom=script), [Candidate("p-1", known)],
                             default_model())
        assert decision.explanation is not None
        assert decision.explanation.level_of("prenom") != "different"


def test_two_names_read_from_one_script_are_compared_by_spelling():
    explanation = default_model().score(person(prenom="علي"), person(prenom="عمر"))
    assert explanation.level_of("prenom") == "different"


def test_a_name_read_from_arabic_against_one_from_cyrillic_is_no_veto():
    explanation = default_model().score(person(prenom="محمد"), person(prenom="Мухаммед"))
    assert explanation.level_of("prenom") != "different"


@pytest.mark.parametrize(("typed", "folded"), [
    ("Marie 🌸", "MARIE"), ("Jean ❤️", "JEAN"), ("Marie 😀", "MARIE"), ("n° 3", "N"),
    ("Zoé ★", "ZOE"), ("Иван ☺", "IVAN"),
])
def test_symbols_fold_to_nothing(typed, folded):
    assert fold(typed) == folded


def test_a_first_name_with_a_flower_is_the_name():
    assert default_model().score(person(prenom="Marie 🌸"), person(prenom="Marie")).level_of(
        "prenom") == "exact"
