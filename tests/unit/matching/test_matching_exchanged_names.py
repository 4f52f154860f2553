"""Names exchanged at one home (DUPONT Léa against a fiche typed LEA | DUPONT: the surname
in the first name's box): the same names letter for letter once read exchanged link as
the names typed straight do beside the birth date or a contact of the person's own, and
beside the home alone where the file shows no households; twins of alike first names with
one fiche so typed (Léa / Léo) and names exchanged with a typo stay with a coordinator:
never a link. Online, on both
decision paths, with the shipped model and a model trained on typo-heavy files; and the
batch puts the same fiches together as the online matcher."""

from __future__ import annotations

import pytest

from hub.domain.matching import normalise_record
from hub.domain.matching.exchanged_names import names_exchanged
from hub.domain.matching.model import default_model
from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_first_name_typos import links_and_says_why
from tests.unit.matching.test_matching_household_alike_names import _kinds
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "12 rue des Lilas", "code_postal": "63600", "commune": "Ambert"}
_BORN = {"date_naissance": "1984-03-12"}

# (surname, first name) as the person is known; the other fiche has them exchanged.
PEOPLE = [("Dupont", "Léa"), ("Chassaing", "Bernard"), ("Martin", "Alexandre"),
          ("Weiss", "Jean-Rémy"), ("de la Fontaine", "Marie")]
# What agrees of the person's own beside the surname and the home.
OWN = {
    "one birth date": (_BORN, _BORN),
    "one e-mail": ({"courriel": "lea.d@example.org"}, {"courriel": "lea.d@example.org"}),
    "one mobile, a birth date on one side": ({"telephone": "06 12 34 56 78", **_BORN},
                                             {"telephone": "06 12 34 56 78"}),
}
MODELS = {"shipped": default_model, "typo-heavy, households": lambda: _typo_heavy(0.3)}
# A model trained on a file without households (the FEBRL family).
NO_HOUSEHOLDS = {"typo-heavy, no households": lambda: _typo_heavy(0.0)}


def _exchanged(person: tuple[str, str], own: tuple[dict[str, str], dict[str, str]]
               ) -> tuple[dict[str, str], dict[str, str]]:
    (surname, first_name), (fa, fb) = person, own
    return ({"nom": surname, "prenom": first_name, **_HOME, **fa},
            {"nom": first_name.upper(), "prenom": surname.upper(), **_HOME, **fb})


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("own", sorted(OWN))
@pytest.mark.parametrize("person", PEOPLE, ids=[f"{a} {b}" for a, b in PEOPLE])
def test_names_typed_in_each_others_box_link_beside_an_identifier_of_the_persons_own(
        person, own, model_name):
    """Both orders; the explanation says what the rule saw (`noms_inverses`)."""
    first, second = _exchanged(person, OWN[own])
    links_and_says_why(first, second, MODELS[model_name](), "names_exchanged", "noms_inverses",
                       "noms inversés : ")


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("person", PEOPLE, ids=[f"{a} {b}" for a, b in PEOPLE])
def test_names_exchanged_with_nothing_of_the_persons_own_are_not_linked(person, model_name):
    """The surname and the home are what a household shares, and where the file shows
    households two of one home bear one name now and then: a coordinator decides."""
    model = MODELS[model_name]()
    assert model.decision.household_apart
    first, second = _exchanged(person, ({}, {}))
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("person", PEOPLE, ids=[f"{a} {b}" for a, b in PEOPLE])
def test_names_exchanged_with_nothing_of_the_persons_own_link_where_the_file_shows_no_households(
        person):
    """One first name, one surname and one home, in a file without households: both
    fiches typed straight link, and so does the fiche typed with the names exchanged
    (`decision.alike_at_one_home`)."""
    model = NO_HOUSEHOLDS["typo-heavy, no households"]()
    assert not model.decision.household_apart
    first, second = _exchanged(person, ({}, {}))
    assert _kinds(first, dict(first), model) == {"link"}
    assert _kinds(first, second, model) == {"link"}
    assert _kinds(second, first, model) == {"link"}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("twins", [("Dupont", "Léa", "Léo"), ("Martin", "Marine", "Martine")],
                         ids=["Léa/Léo", "Marine/Martine"])
def test_twins_one_typed_with_the_names_exchanged_and_no_birth_date_are_never_linked(
        twins, model_name):
    """Nothing of the person's own beside the home, the names alike once exchanged but not
    the same, where the file shows households: a coordinator decides, never a link. (A
    typo-heavy file without households holds no twin: the model weighs them there,
    `decision.alike_without_households`.)"""
    model = MODELS[model_name]()
    surname, one, other = twins
    first = {"nom": surname, "prenom": one, **_HOME}
    second = {"nom": other, "prenom": surname, **_HOME}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


# Twins of one birth date, one fiche typed with the names exchanged: alike, not the same.
TWINS = [("Dupont", "Léa", "Léo"), ("Martin", "Marine", "Martine"),
         ("Roddier", "Louis", "Louise"), ("Tixier", "Mathis", "Mathias")]


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("twins", TWINS, ids=[f"{b}/{c}" for _a, b, c in TWINS])
def test_twins_one_typed_with_the_names_exchanged_are_never_linked(twins, model_name):
    model = MODELS[model_name]()
    surname, one, other = twins
    first = {"nom": surname, "prenom": one, **_HOME, **_BORN}
    second = {"nom": other, "prenom": surname, **_HOME, **_BORN}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)
    assert not names_exchanged(normalise_record(first, "a"), normalise_record(second, "b"))


# (surname, first name, the surname typed a letter off in the other fiche's first-name box)
RETYPED_SURNAME = [("Pichon", "Frédérique", "IPCHON"), ("Vialatte", "Agathe", "VIALATE"),
                   ("Bouchut", "Mathilde", "BOUCHTU"), ("Weiss", "Jean-Rémy", "WEISSS")]


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("own", sorted(OWN))
@pytest.mark.parametrize("person", RETYPED_SURNAME, ids=[f"{a} {c}" for a, _b, c in RETYPED_SURNAME])
def test_names_exchanged_with_the_surname_a_letter_off_link_beside_an_identifier(
        person, own, model_name):
    """PICHON Frédérique / FREDERIQUE | IPCHON: the first name agrees letter for letter
    and is a first name in use, no surname; neither surname is a first name: the typo is
    in the surname, one person. Both orders; the explanation says so (`noms_inverses`)."""
    (surname, first_name, retyped), (fa, fb) = person, OWN[own]
    first = {"nom": surname, "prenom": first_name, **_HOME, **fa}
    second = {"nom": first_name.upper(), "prenom": retyped, **_HOME, **fb}
    links_and_says_why(first, second, MODELS[model_name](), "names_exchanged", "noms_inverses",
                       "noms inversés : ")


@pytest.mark.parametrize("model_name", sorted(MODELS | NO_HOUSEHOLDS))
@pytest.mark.parametrize("person", RETYPED_SURNAME, ids=[f"{a} {c}" for a, _b, c in RETYPED_SURNAME])
def test_names_exchanged_with_the_surname_a_letter_off_and_the_home_alone_are_never_linked(
        person, model_name):
    """The surname a letter off once read exchanged: the names are not the same, so
    beside the home alone nothing of the person's own tells one from two, whatever the
    households of the training file (`decision.alike_at_one_home`); where the file shows
    none, the same names letter for letter link there (test above)."""
    model = (MODELS | NO_HOUSEHOLDS)[model_name]()
    surname, first_name, retyped = person
    first = {"nom": surname, "prenom": first_name, **_HOME}
    second = {"nom": first_name.upper(), "prenom": retyped, **_HOME}
    a, b = normalise_record(first, "a"), normalise_record(second, "b")
    assert model.score(b, a).names_exchanged
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_names_exchanged_with_a_typo_where_either_may_be_the_first_name_stay_with_a_coordinator(
        model_name):
    """Twins' alike names read exchanged (MARTIN Léa / LEO | MARTIN) look like a surname
    typed a letter off beside names exchanged: where the string agreeing letter for
    letter is a surname first (MARTIN, THOMAS: the model's tables), or the strings a
    letter apart are first names in use (Léa, Léo), a coordinator decides; twins of names
    no list knows (Zorglune / Zorglyne MARTIN) likewise."""
    model = MODELS[model_name]()
    pairs = [({"nom": "Thomas", "prenom": "Bourgeois"}, {"nom": "BOUMRGEOIS", "prenom": "THOMAS"}),
             ({"nom": "Martin", "prenom": "Léa"}, {"nom": "LEO", "prenom": "MARTIN"}),
             ({"nom": "Martin", "prenom": "Zorglune"}, {"nom": "ZORGLYNE", "prenom": "MARTIN"}),
             ({"nom": "Pichon", "prenom": "Léa"}, {"nom": "LEO", "prenom": "PICHON"})]
    tables = model.tf.get("prenom", {}), model.tf.get("nom", {})
    for x, y in pairs:
        first, second = {**x, **_HOME, **_BORN}, {**y, **_HOME, **_BORN}
        a, b = normalise_record(first, "a"), normalise_record(second, "b")
        assert not names_exchanged(a, b, *tables) and not names_exchanged(b, a, *tables)
        assert not model.score(b, a).names_exchanged
        assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


def test_one_name_in_both_boxes_is_not_names_exchanged():
    """MARTIN Martin against MARTIN Martin: the names as typed already agree."""
    a = normalise_record({"nom": "Martin", "prenom": "Martin"}, "a")
    assert not names_exchanged(a, normalise_record({"nom": "MARTIN", "prenom": "MARTIN"}, "b"))


_SURNAMES = ("Vialatte", "Chassaing", "Bouchut", "Roddier")


def _family_rows() -> list[dict[str, str]]:
    """Families at their homes: one person typed twice with the names exchanged (the
    birth date on both fiches), twins of alike first names of one birth date (one typed
    with the names exchanged), one person typed twice with the names exchanged and no
    birth date on either fiche (at a home of their own)."""
    rows = []
    for n, (_surname, one, other) in enumerate(TWINS):
        surname = _SURNAMES[n]
        home = {"adresse_ligne": f"{n + 3} rue des Tilleuls", "code_postal": "63600",
                "commune": "Ambert"}
        born = {"date_naissance": f"19{70 + n}-0{1 + n}-1{n}"}
        twins_born = {"date_naissance": f"20{10 + n}-1{n % 3}-2{n}"}
        elsewhere = {"adresse_ligne": f"{n + 40} avenue Foch", "code_postal": "63000",
                     "commune": "Clermont-Ferrand"}
        fiches = [{"nom": surname, "prenom": "Sylvain", **born},
                  {"nom": "SYLVAIN", "prenom": surname.upper(), **born},
                  {"nom": surname, "prenom": one, **twins_born},
                  {"nom": other, "prenom": surname, **twins_born},
                  {"nom": surname, "prenom": "Gaspard", **elsewhere},
                  {"nom": "GASPARD", "prenom": surname, **elsewhere}]
        rows += [{f: "" for f in RECORD_FIELDS} | home | fiche | {"id": f"{n}-{k}"}
                 for k, fiche in enumerate(fiches)]
    return rows


@pytest.mark.parametrize("model_name", sorted(MODELS | NO_HOUSEHOLDS))
def test_online_and_batch_put_the_same_fiches_together(tmp_path, model_name):
    """`capactif dedup` and the online matcher (each fiche against the ones before it):
    the same pairs together; every person typed with the names exchanged beside their
    birth date with their fiche, and without it where the file shows no households; no
    twins together."""
    model = (MODELS | NO_HOUSEHOLDS)[model_name]()
    rows = _family_rows()
    if not model.decision.household_apart:  # no household rule: twins are not its case
        rows = [row for row in rows if row["id"][-1] not in "23"]
    _batch, together_batch, together_online = together(rows, model, tmp_path)
    assert together_batch == together_online
    bare = [] if model.decision.household_apart else [4]
    assert together_batch == {(f"{n}-{k}", f"{n}-{k + 1}") for n in range(len(TWINS))
                              for k in [0, *bare]}


def _retyped_surname_rows() -> list[dict[str, str]]:
    """At each home: a person typed twice, once with the names exchanged and the surname
    a letter off (one birth date); twins Léa and Léo, Léo's fiche typed LEO | surname."""
    rows = []
    for n, (surname, first_name, retyped) in enumerate(RETYPED_SURNAME):
        home = {"adresse_ligne": f"{n + 3} rue des Tilleuls", "code_postal": "63600",
                "commune": "Ambert"}
        born = {"date_naissance": f"19{70 + n}-0{1 + n}-1{n}"}
        twins = {"date_naissance": f"20{10 + n}-1{n % 3}-2{n}"}
        fiches = [{"nom": surname, "prenom": first_name, **born},
                  {"nom": first_name.upper(), "prenom": retyped, **born},
                  {"nom": surname, "prenom": "Léa", **twins},
                  {"nom": "LEO", "prenom": surname.upper(), **twins}]
        rows += [{f: "" for f in RECORD_FIELDS} | home | fiche | {"id": f"{n}-{k}"}
                 for k, fiche in enumerate(fiches)]
    return rows


@pytest.mark.parametrize("typo_heavy", [False, True], ids=["shipped", "typo-heavy"])
def test_online_and_batch_link_names_exchanged_with_the_surname_a_letter_off(tmp_path, typo_heavy):
    rows = _retyped_surname_rows()
    _batch, together_batch, together_online = together(
        rows, _typo_heavy(0.3) if typo_heavy else default_model(), tmp_path)
    assert together_batch == together_online
    assert together_batch == {(f"{n}-0", f"{n}-1") for n in range(len(RETYPED_SURNAME))}
