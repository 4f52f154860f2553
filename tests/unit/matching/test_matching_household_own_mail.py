"""A first name retyped at one home beside the person's own e-mail: one fiche's address
spells the other fiche's first name, not its own, and its own first name is no name in
use (ADRIMEN with adrien.martin@ beside Adrien): one person typed twice, the household
rule leaves the pair to the model, which links it. The same address on both fiches names
one side's first name whatever the provider (gmail's dots dropped when the address is
read). Twins and siblings of alike first names stay with a coordinator, never linked:
each with an address naming themselves, a family's address (famille.martin@, j.martin@,
one naming both), a first name in use beside its twin's address (Martine with
marine.martin@), a name and the same with letters added (Hamida with hamid.martin@).
Online, on both decision paths, with the shipped model and a model trained on typo-heavy
files; and the batch puts the same fiches together as the online matcher."""

from __future__ import annotations

import pytest

from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.test_matching_first_name_typos import MODELS
from tests.unit.matching.test_matching_household_alike_names import _kinds
from tests.unit.matching.test_matching_twins_family_contacts import together_in_both

_HOME = {"nom": "Martin", "adresse_ligne": "12 rue des Lilas", "code_postal": "35000",
         "commune": "Rennes"}
_BORN = {"date_naissance": "1984-03-12"}
# A first name in use, and the same typed with a letter dropped, added or replaced: no
# first name of any list nor of the model's table.
RETYPED = [("Adrien", "Adrimen"), ("Camille", "Cmmille"), ("Denise", "Deuise"),
           ("Jeannine", "Jemnnine")]
# How the person's own address is written: with dots, at gmail (read without them), with
# a number.
ADDRESSES = {"dotted": "{}.martin@orange.fr", "gmail": "{}.martin@gmail.com",
             "numbered": "{}.martin63@free.fr"}
# Where the fiches hold the person's own address: the retyped fiche only (the other with
# the birth date and no address, or without the birth date and with the mobile they
# share), or both fiches, the person's fiche the same address at another provider (not
# beside gmail's: read without its dots, adrienmartin@ is another address than
# adrien.martin@yahoo.fr).
SHAPES = {
    "the retyped fiche only": ({**_BORN}, {**_BORN}),
    "the retyped fiche only, a birth date missing, one mobile": (
        {"telephone": "06 12 34 56 78"}, {**_BORN, "telephone": "06 12 34 56 78"}),
    "both fiches, two providers": ({**_BORN}, {**_BORN}),
}
_CASES = [(address, shape) for address in sorted(ADDRESSES) for shape in sorted(SHAPES)
          if (address, shape) != ("gmail", "both fiches, two providers")]


def _fiches(names: tuple[str, str], address: str, shape: str
            ) -> tuple[dict[str, str], dict[str, str]]:
    """The person's fiche (first name spelt right) and the retyped one, which holds the
    person's own address."""
    (right, retyped), (kept, typed) = names, SHAPES[shape]
    own = ADDRESSES[address].format(right.lower())
    person = {**_HOME, **kept, "prenom": right}
    if shape.startswith("both"):
        person["courriel"] = own.split("@")[0] + "@yahoo.fr"
    return person, {**_HOME, **typed, "prenom": retyped, "courriel": own}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize(("address", "shape"), _CASES, ids=[f"{a}-{s}" for a, s in _CASES])
@pytest.mark.parametrize("names", RETYPED, ids=[f"{a}/{b}" for a, b in RETYPED])
def test_a_first_name_retyped_beside_the_person_s_own_address_links(names, address, shape,
                                                                     model_name):
    """Both orders: the fiche typed first may be either."""
    model = MODELS[model_name]()
    person, retyped = _fiches(names, address, shape)
    assert _kinds(person, retyped, model) == {"link"}
    assert _kinds(retyped, person, model) == {"link"}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("names", [("Mathilde", "Mathide"), ("Hamida", "Hamid"),
                                   ("Jean-Marc", "Jean-Mac")])
def test_one_address_at_gmail_naming_one_side_links_as_at_any_provider(names, model_name):
    """hamida.martin@gmail.com is read hamidamartin@gmail.com: it still names Hamida, as
    hamida.martin@orange.fr does (`test_matching_twins_family_contacts`)."""
    model = MODELS[model_name]()
    own = {"courriel": f"{names[0].lower()}.martin@gmail.com"}
    first = {**_HOME, **_BORN, **own, "prenom": names[0]}
    second = {**_HOME, **_BORN, **own, "prenom": names[1]}
    assert _kinds(first, second, model) | _kinds(second, first, model) == {"link"}


# Twins and siblings (one birth date, one home) and what the second one's fiche holds;
# the first one's fiche holds no address.
FAMILIES = {
    "each their own address (Léo's)": (("Léa", "Léo"), "leo.martin@gmail.com"),
    "each their own address (Hamid's)": (("Hamida", "Hamid"), "hamid.martin@orange.fr"),
    "each their own address (Alexie's)": (("Alexis", "Alexie"), "alexie.martin@free.fr"),
    "a family's address": (("Léa", "Léo"), "famille.martin@gmail.com"),
    "a family's address, no dots": (("Marine", "Marina"), "lesmartin@gmail.com"),
    "an initial's address": (("Jules", "Julie"), "j.martin@orange.fr"),
    "an address naming both": (("Léa", "Léo"), "lea.leo.martin@gmail.com"),
    "a first name in use beside the twin's address": (("Marine", "Martine"),
                                                       "marine.martin@gmail.com"),
    "a first name in use beside the twin's address, no dots": (("Léa", "Léo"),
                                                               "leamartin@gmail.com"),
    "letters added beside the brother's address": (("Hamid", "Hamida"),
                                                   "hamid.martin@orange.fr"),
    "letters added beside the brother's address, gmail": (("Nassim", "Nassima"),
                                                          "nassim.martin@gmail.com"),
    "a first name in use beside a relative's address": (("Julien", "Juliette"),
                                                         "julien.martin@free.fr"),
}
_FAMILY_SHAPES = {
    "one birth date": ({**_BORN}, {**_BORN}),
    "one birth date, one mobile": ({**_BORN, "telephone": "06 98 76 54 41"},
                                   {**_BORN, "telephone": "06 98 76 54 41"}),
    "a birth date missing, one mobile": ({**_BORN, "telephone": "06 98 76 54 41"},
                                         {"telephone": "06 98 76 54 41"}),
}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", sorted(_FAMILY_SHAPES))
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_twins_and_siblings_beside_an_address_are_never_linked(family, shape, model_name):
    """What agrees is what a household shares; an address spelling the second one's own
    first name, a family's, one naming both, or the first one's beside a name in use or
    a name made of it say nothing of one person."""
    model = MODELS[model_name]()
    (first_name, second_name), address = FAMILIES[family]
    kept, typed = _FAMILY_SHAPES[shape]
    first = {**_HOME, **kept, "prenom": first_name}
    second = {**_HOME, **typed, "prenom": second_name, "courriel": address}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


_SURNAMES = ("Vialatte", "Chassaing", "Bouchut", "Roddier", "Fayolle", "Tixier")


def _rows() -> list[dict[str, str]]:
    """Homes of one surname each: a person's fiche and the same retyped with the
    person's own address; twins, the second with an address of their own; twins, the
    second with the first's address under a first name in use, or under a name made of
    the first's."""
    cases = [RETYPED[n] for n in range(3)] + [("Léa", "Léo"), ("Marine", "Martine"),
                                               ("Hamid", "Hamida")]
    named = [0, 0, 0, 1, 0, 0]  # whose first name the second fiche's address spells
    rows = []
    for n, (names, surname) in enumerate(zip(cases, _SURNAMES, strict=True)):
        home = {**_HOME, **_BORN, "nom": surname, "adresse_ligne": f"{n + 3} rue des Lilas"}
        address = f"{names[named[n]].lower()}.{surname.lower()}@gmail.com"
        for k, (name, mail) in enumerate(((names[0], ""), (names[1], address))):
            rows.append({f: "" for f in RECORD_FIELDS} | home
                        | {"prenom": name, "courriel": mail, "id": f"{n}-{k}"})
    return rows


@pytest.mark.parametrize("typo_heavy", [False, True], ids=["shipped", "typo-heavy"])
def test_online_and_batch_link_the_retyped_fiche_and_keep_twins_apart(tmp_path, typo_heavy):
    assert together_in_both(_rows(), typo_heavy, tmp_path) == {(f"{n}-0", f"{n}-1")
                                                                for n in range(3)}
