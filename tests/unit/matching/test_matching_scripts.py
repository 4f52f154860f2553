"""Names written in another script than the Latin one (Cyrillic, Greek, Arabic, Hebrew,
Chinese) are compared like any name: read in Latin letters (`normalise.fold`), a name
typed twice in its script agrees exactly, and the same name typed in Latin letters by
another member agrees as closely as its spelling allows (an alphabet's: Arabic and
Hebrew write few vowels, so "محمد" reads MHMD, not Mohamed)."""

from __future__ import annotations

import pytest

from hub.domain.matching import Candidate, default_model, match_one
from hub.domain.matching.comparisons import AGREEING, MISSING
from hub.domain.matching.decision import record_blocking_keys
from hub.domain.matching.normalise import fold
from tests.unit.matching.matching_factories import person

SAME_SCRIPT = [  # (surname, first name) in a script, then typed otherwise in that script
    (("Иванов", "Дмитрий"), ("ИВАНОВ", "дмитрий")),
    (("Παπαδόπουλος", "Γιώργος"), ("ΠΑΠΑΔΟΠΟΥΛΟΣ", "Γιωργος")),
    (("حداد", "محمد"), ("حداد", "محمد")),
    (("כהן", "יוסף"), ("כהן", "יוסף")),
    (("王", "小明"), ("王", "小明")),
]
IN_LATIN = [  # the same person's name in its script and as a French member types it
    (("Иванов", "Дмитрий"), ("Ivanov", "Dmitri"), AGREEING, AGREEING),
    (("Παπαδόπουλος", "Γιώργος"), ("Papadopoulos", "Giorgos"), AGREEING, AGREEING),
    (("Смирнова", "Наталья"), ("Smirnova", "Natalia"), AGREEING, AGREEING),
]


@pytest.mark.parametrize("text", ["Иванов", "Γιώργος", "محمد", "יוסף", "小明"])
def test_a_name_in_another_script_folds_to_latin_letters(text):
    folded = fold(text)
    assert folded and folded.replace(" ", "").isalpha() and folded.isascii()


def test_latin_names_fold_as_before():
    assert fold("Françoise d'Œillet-Müller") == "FRANCOISE D OEILLET MULLER"
    assert fold("ÆLIS Straße") == "AELIS STRASSE"


def test_latin_letters_without_an_accent_to_take_off_are_kept():
    """Ł, Ø, Þ are letters of their own, not a letter and an accent: they were dropped."""
    assert fold("Łukasz Wałęsa") == "LUKASZ WALESA"
    assert fold("Søren Ærø") == "SOREN AERO"


@pytest.mark.parametrize(("first", "second"), SAME_SCRIPT)
def test_a_name_typed_twice_in_its_script_agrees(first, second):
    explanation = default_model().score(person(nom=first[0], prenom=first[1]),
                                        person(nom=second[0], prenom=second[1]))
    assert explanation.level_of("nom") in AGREEING
    assert explanation.level_of("prenom") in AGREEING


@pytest.mark.parametrize(("script", "latin", "surname", "first_name"), IN_LATIN)
def test_a_name_in_its_script_and_in_latin_letters_is_compared(script, latin, surname,
                                                               first_name):
    explanation = default_model().score(person(nom=script[0], prenom=script[1]),
                                        person(nom=latin[0], prenom=latin[1]))
    assert explanation.level_of("nom") in surname
    assert explanation.level_of("prenom") in first_name


def test_a_name_in_another_script_has_the_name_keys_of_its_latin_spelling():
    record = person(nom="Иванов", prenom="Дмитрий", date_naissance="1984-03-02")
    latin = person(nom="Ivanov", prenom="Dmitri", date_naissance="1984-03-02")
    shared = set(record_blocking_keys(record)) & set(record_blocking_keys(latin))
    assert {key.split(":")[0] for key in shared} >= {"nom_annee", "noms_sans_date"}
    assert default_model().score(record, record).level_of("nom") != MISSING


def test_a_duplicate_written_in_cyrillic_is_linked_online():
    """One member types the porteur in Cyrillic, another retypes it: one porteur."""
    known = {"nom": "Иванов", "prenom": "Дмитрий", "date_naissance": "1984-03-02",
             "courriel": "d.ivanov@example.org", "code_postal": "63600"}
    again = dict(known, nom="ИВАНОВ", courriel="", telephone="06 12 34 56 78")
    decision = match_one(again, [Candidate("p-1", known)], default_model())
    assert (decision.kind, decision.porteur_id) == ("link", "p-1")


@pytest.mark.parametrize(("script", "latin", "level"), [
    ("محمد", "Mohamed", "fuzzy"), ("محمد", "Mohammed", "fuzzy"), ("يوسف", "Youssef", "fuzzy"),
    ("أمينة", "Amina", "fuzzy"), ("خليل", "Khalil", "fuzzy"), ("דוד", "David", "fuzzy"),
    ("محمد", "Karim", "missing"), ("יוסף", "Marie", "missing"),
])
def test_a_name_read_from_arabic_or_hebrew_is_compared_by_its_consonants(script, latin,
                                                                          level):
    """Short vowels are not written: MHMD against MOHAMED is a name alike, against KARIM
    not comparable; never a first name plainly different, which would veto the pair."""
    explanation = default_model().score(person(nom=script, prenom=script),
                                        person(nom=latin, prenom=latin))
    assert explanation.level_of("prenom") == level
    assert explanation.level_of("nom") == level


def test_initials_and_latin_names_are_compared_by_spelling_as_before():
    model = default_model()
    assert model.score(person(prenom="J.-M."), person(prenom="Paul")).level_of(
        "prenom") == "different"
    assert model.score(person(prenom="Marie"), person(prenom="Maurice")).level_of(
        "prenom") != "missing"


def test_a_duplicate_typed_in_arabic_and_in_latin_letters_is_not_vetoed():
    known = {"nom": "Haddad", "prenom": "Mohamed", "date_naissance": "1984-03-02",
             "courriel": "m.haddad@example.org", "telephone": "06 12 34 56 78"}
    again = dict(known, nom="حداد", prenom="محمد")
    assert match_one(again, [Candidate("p-1", known)], default_model()).kind == "link"
