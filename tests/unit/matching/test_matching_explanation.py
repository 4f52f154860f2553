"""The explanation agrees with itself: a field absent on a side is missing, adds nothing
and says so; the console and the API read the same data (`to_dict`), which round-trips."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.matching.model import Explanation
from tests.unit.matching.matching_factories import hand_model, person

_side = st.fixed_dictionaries({
    "nom": st.sampled_from(["Martin", "Martain", ""]),
    "prenom": st.sampled_from(["Anne", "Annie", ""]),
    "date_naissance": st.sampled_from(["1980-05-12", "1980-05-21", "", "inconnue"]),
    "courriel": st.sampled_from(["anne@free.fr", ""]),
    "telephone": st.sampled_from(["0612345678", ""]),
    "adresse_ligne": st.sampled_from(["12 rue Pasteur", "14 rue Pasteur", "12", "Le Bourg", ""]),
    "code_postal": st.sampled_from(["63200", "63000", ""]),
    "commune": st.sampled_from(["Riom", ""]),
})


@pytest.fixture(scope="module")
def model():
    return hand_model()


@settings(max_examples=150)
@given(_side, _side)
def test_a_field_is_missing_exactly_when_a_side_lacks_it_and_then_weighs_nothing(left, right):
    """Missing where a side lacks the field, or (the place) where the two sides hold no
    part of it in common: a commune alone on one side, a postcode alone on the other; or
    (the address) a house number alone against a line with its street and that number."""
    model = hand_model()
    explanation = model.score(person(id="a", **left), person(id="b", **right))
    apart = _place_apart(left, right)
    number_alone = {left["adresse_ligne"], right["adresse_ligne"]} == {"12", "12 rue Pasteur"}
    for term in explanation.terms:
        unmatched = (term.field == "lieu" and apart) or (term.field == "adresse" and number_alone)
        assert (term.level == "missing") == (not all(term.sides) or unmatched), term
        if term.level == "missing":
            assert term.weight == 0.0 and term.tf_adjustment == 0.0
            assert term.label_fr().startswith("non comparable" if all(term.sides) else "absent")
        else:
            assert "absent" not in term.label_fr()
    total = explanation.prior_weight + sum(t.weight for t in explanation.terms)
    assert explanation.total_weight == pytest.approx(total)
    again = Explanation.from_dict(explanation.to_dict())
    assert [(t.field, t.level, t.sides) for t in again.terms] == [
        (t.field, t.level, t.sides) for t in explanation.terms]


def _place_apart(left, right):
    """Both sides give a place, but no part of it on both (commune against postcode)."""
    parts = ("code_postal", "commune")
    return (any(left[k] for k in parts) and any(right[k] for k in parts)
            and not any(left[k] and right[k] for k in parts))


def test_a_commune_against_a_postcode_reads_not_comparable_and_weighs_nothing(model):
    left = person(id="a", nom="Martin", prenom="Anne", commune="Riom")
    right = person(id="b", nom="Martin", prenom="Anne", code_postal="63200")
    place = next(t for t in model.score(left, right).terms if t.field == "lieu")
    assert (place.level, place.weight, place.sides) == ("missing", 0.0, (True, True))
    assert place.label_fr() == "non comparable : pas la même donnée des deux côtés"
    assert place.to_dict()["libelle"] == place.label_fr()


def test_an_address_line_absent_on_one_side_adds_nothing_and_the_place_counts_on_its_own(model):
    left = person(id="a", nom="Martin", prenom="Anne", adresse_ligne="12 rue Pasteur",
                  code_postal="63200")
    right = person(id="b", nom="Martin", prenom="Anne", code_postal="63200")
    explanation = model.score(left, right)
    terms = {t.field: t for t in explanation.terms}
    assert terms["adresse"].level == "missing" and terms["adresse"].weight == 0.0
    assert terms["adresse"].sides == (True, False)
    assert terms["lieu"].level == "exact" and terms["lieu"].weight > 0
    shown = explanation.to_dict()["champs"]
    address = next(t for t in shown if t["champ"] == "adresse")
    assert address["libelle"] == "absent à droite" and address["poids"] == 0.0
    assert address["renseigne"] == {"gauche": True, "droite": False}
    assert "adresse : absent à droite, 0 (ne compte pas)" in explanation.lines_fr()


def test_an_explanation_kept_before_sides_existed_still_reads(model):
    kept = {"a_priori": -4.0, "total": 1.0, "probabilite": 0.6, "champs": [
        {"champ": "nom", "niveau": "exact", "poids": 5.0, "ajustement_frequence": 0.0},
        {"champ": "adresse", "niveau": "missing", "poids": 0.0, "ajustement_frequence": 0.0}]}
    terms = Explanation.from_dict(kept).terms
    assert terms[0].sides == (True, True) and terms[1].label_fr() == "absent des deux côtés"


def test_the_waterfall_in_words_uses_french_decimals_and_a_percentage(model):
    left = person(id="a", nom="Martin", prenom="Anne", naissance="1980-04-02", code_postal="63200")
    right = person(id="b", nom="Martin", prenom="Annie", naissance="1980-04-02", code_postal="63200")
    lines = model.score(left, right).lines_fr()
    assert not [line for line in lines if re.search(r"\d\.\d", line)]
    assert re.search(r"^a priori : [−+]\d+,\d$", lines[0])
    assert re.search(r"soit une probabilité de \d{1,3},\d\d %$", lines[-1])
