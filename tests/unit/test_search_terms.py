"""A porteur is found by the words of their name in any script: what the index stores
and what a coordinator or a DPO types meet in one form."""

import unicodedata

import pytest

from hub.domain.search_terms import porteur_terms, query_terms


def words(identity):
    return {t for t in porteur_terms(identity) if t.startswith("mot:")}


@pytest.mark.parametrize(("stored", "typed"), [
    ({"nom": "العبدالله", "prenom": "زينب"}, "زينب العبدالله"),
    ({"nom": "Παπαδόπουλος", "prenom": "Ἀλέξανδρος"}, "αλεξανδρος παπαδοπουλος"),
    ({"nom": "כהן", "prenom": "יעל"}, "יעל כהן"),
    ({"nom": "Иванова", "prenom": "Мария"}, "мария иванова"),
    ({"nom": "Wróblewski-Żółć", "prenom": "Łukasz"}, "Lukasz Wroblewski Zolc"),
    ({"nom": "Ørsted", "prenom": "Ève"}, "Orsted Eve"),
    ({"nom": unicodedata.normalize("NFD", "Lefèvre"), "prenom": "Zoë"}, "zoe LEFEVRE"),
])
def test_every_word_of_a_name_in_any_script_is_found_as_typed(stored, typed):
    assert query_terms(typed) and set(query_terms(typed)) <= words(stored)


def test_latin_names_keep_the_terms_they_had():
    assert porteur_terms({"nom": "Chanteloubière", "prenom": "Gaëlle",
                          "date_naissance": "1986-09-21"}) == [
        "mot:CHANTELOUBIERE", "mot:GAELLE", "naissance:1986-09-21"]
    assert words({"nom": "D'Artagnan-Œuvray", "prenom": "Jean 2"}) == {
        "mot:D", "mot:ARTAGNAN", "mot:OEUVRAY", "mot:JEAN"}


def test_a_persian_joiner_inside_a_name_is_part_of_its_word():
    assert words({"nom": "\u0645\u06cc\u200c\u0631\u0632\u0627"}) == words(
        {"nom": "\u0645\u06cc\u0631\u0632\u0627"})
