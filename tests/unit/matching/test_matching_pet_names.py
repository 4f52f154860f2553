"""A pet name at one home beside the one first name it stands for (Tom / Thomas), under
one full birth date: one person, linked. Twins and relatives stay apart or with a
coordinator: a pet name of two names (Manu for Emmanuel or Emmanuelle, Isa for Isabelle
or Isaure), a father Thomas and his son Tom, a pet name beside a birth date missing or
typed otherwise, twins of alike first names. Online, on both decision paths, with the
shipped model and a model trained on typo-heavy files; and the batch puts the same fiches
together as the online matcher."""

from __future__ import annotations

import pytest

from hub.domain.matching import normalise_record
from hub.domain.matching.hypocoristics import HYPOCORISTICS, hypocoristic
from hub.domain.matching.normalise import NICKNAMES
from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_first_name_typos import MODELS, links_and_says_why
from tests.unit.matching.test_matching_household_alike_names import _kinds

_HOME = {"adresse_ligne": "12 rue des Lilas", "code_postal": "63600", "commune": "Ambert"}
_BORN = {"date_naissance": "1986-04-17"}

ONE_PERSON = [("Tom", "Thomas"), ("Cathy", "Catherine"), ("Zaza", "Isabelle"),
              ("Jeannot", "Jean")]
# Pet names of two given names (a name and its feminine form, or a beginning other names
# share): twins Emmanuel / Emmanuelle, one fiche typed Manu, are either.
TWO_NAMES = [("Manu", "Emmanuel"), ("Steph", "Stéphane"), ("Fred", "Frédéric"),
             ("Isa", "Isabelle"), ("Alex", "Alexandre"), ("Chris", "Christophe"),
             ("Max", "Maxime"), ("Juju", "Julien"), ("Guigui", "Guillaume")]
# How the birth dates may stand beside a pet name that is not one person's for sure: a
# father Thomas and his son Tom, a date missing, a digit or the day and month typed
# otherwise (twins share the date; a father and son of one name do not, but one typed
# date is not enough to say which).
DATES = {
    "a father and his son": ({"date_naissance": "1958-04-17"}, _BORN),
    "a birth date on one side": (_BORN, {}),
    "no birth date": ({}, {}),
    "a day a digit off": ({"date_naissance": "1986-04-18"}, _BORN),
    "day and month swapped": ({"date_naissance": "1986-04-07"}, {"date_naissance": "1986-07-04"}),
}


def _pair(names: tuple[str, str], dates: tuple[dict[str, str], dict[str, str]]
          ) -> tuple[dict[str, str], dict[str, str]]:
    (x, y), (fx, fy) = names, dates
    return ({"nom": "Chassaing", "prenom": x, **_HOME, **fx},
            {"nom": "CHASSAING", "prenom": y, **_HOME, **fy})


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("names", ONE_PERSON, ids=[f"{a}/{b}" for a, b in ONE_PERSON])
def test_a_pet_name_beside_the_name_it_stands_for_under_one_birth_date_links(names, model_name):
    """Both orders; the explanation says why the home rule did not hold it (`surnom`)."""
    first, second = _pair(names, (_BORN, _BORN))
    links_and_says_why(first, second, MODELS[model_name](), "pet_name", "surnom", "surnom : ")


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("names", TWO_NAMES, ids=[f"{a}/{b}" for a, b in TWO_NAMES])
def test_a_pet_name_of_two_given_names_is_never_linked_at_one_home(names, model_name):
    """Twins Emmanuel and Emmanuelle (Stéphane and Stéphanie, Isabelle and Isaure, ...),
    one fiche typed with the pet name: it may be either twin's."""
    model = MODELS[model_name]()
    first, second = _pair(names, (_BORN, _BORN))
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)
    assert not hypocoristic(normalise_record(first, "a"), normalise_record(second, "b"))


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("dates", sorted(DATES))
@pytest.mark.parametrize("names", ONE_PERSON, ids=[f"{a}/{b}" for a, b in ONE_PERSON])
def test_a_pet_name_without_one_full_birth_date_is_never_linked_at_one_home(
        names, dates, model_name):
    model = MODELS[model_name]()
    first, second = _pair(names, DATES[dates])
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)
    assert not model.score(normalise_record(second, "b"), normalise_record(first, "a")).pet_name


def test_every_pet_name_is_one_the_first_name_comparison_reads_close():
    """The rule leaves alike first names to the model; a pet name it would read
    different would stay vetoed."""
    assert all(NICKNAMES.get(pet) == name for pet, name in HYPOCORISTICS.items())


def _family_rows() -> list[dict[str, str]]:
    """At each home: a person typed with the full name and with a pet name (one birth
    date), twins Emmanuel and Emmanuelle with a fiche typed Manu, a father Thomas and
    his son typed Tom."""
    rows = []
    for n, (pet, name) in enumerate(ONE_PERSON):
        surname = ("Vialatte", "Chassaing", "Bouchut", "Roddier")[n]
        home = {"adresse_ligne": f"{n + 3} rue des Tilleuls", "code_postal": "63600",
                "commune": "Ambert"}
        born = {"date_naissance": f"19{70 + n}-0{1 + n}-1{n}"}
        twins = {"date_naissance": f"20{10 + n}-1{n % 3}-2{n}"}
        fiches = [{"nom": surname, "prenom": name, **born},
                  {"nom": surname.upper(), "prenom": pet.upper(), **born},
                  {"nom": surname, "prenom": "Emmanuel", **twins},
                  {"nom": surname, "prenom": "Emmanuelle", **twins},
                  {"nom": surname, "prenom": "Manu", **twins},
                  {"nom": surname, "prenom": "Thomas", "date_naissance": f"195{n}-02-02"},
                  {"nom": surname, "prenom": "Tom", "date_naissance": f"198{n}-03-0{n + 1}"}]
        rows += [{f: "" for f in RECORD_FIELDS} | home | fiche | {"id": f"{n}-{k}"}
                 for k, fiche in enumerate(fiches)]
    return rows


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_online_and_batch_put_the_same_fiches_together(tmp_path, model_name):
    """`capactif dedup` and the online matcher (each fiche against the ones before it):
    each person with their pet-named fiche, no twins nor father and son together."""
    model = MODELS[model_name]()
    _batch, together_batch, together_online = together(_family_rows(), model, tmp_path)
    assert together_batch == together_online
    assert together_batch == {(f"{n}-0", f"{n}-1") for n in range(len(ONE_PERSON))}
