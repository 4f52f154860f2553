"""Twins at one home given the family's contacts (a parent's mobile, a family e-mail): what
both fiches share does not tell one person from two of alike first names (Hamid / Hamida,
Marine / Marina), so the pair goes to a coordinator, never linked; the same first name
under the same contacts still links. Online, on both decision paths, with the shipped
model and a model trained on typo-heavy files; and the batch agrees with the online
matcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_first_name_typos import MODELS
from tests.unit.matching.test_matching_household_alike_names import _kinds

_HOME = {"nom": "Martin", "date_naissance": "2014-03-12", "adresse_ligne": "12 rue des Lilas",
         "code_postal": "35000", "commune": "Rennes"}
_MOBILE = {"telephone": "06 12 34 56 78"}
_MAIL = {"courriel": "famille.martin3@orange.fr"}
CONTACTS = {"mobile and e-mail": _MOBILE | _MAIL, "e-mail": _MAIL}
TWINS = [("Hamid", "Hamida"), ("Marine", "Marina"), ("Matis", "Mathis"),
         ("Alexie", "Alexis"), ("Naëlle", "Maëlle"), ("Léa", "Léo")]


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("contacts", sorted(CONTACTS))
@pytest.mark.parametrize("names", TWINS, ids=[f"{a}/{b}" for a, b in TWINS])
def test_twins_given_the_family_contacts_are_never_linked(names, contacts, model_name):
    model = MODELS[model_name]()
    first = _HOME | CONTACTS[contacts] | {"prenom": names[0]}
    second = _HOME | CONTACTS[contacts] | {"prenom": names[1]}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("contacts", sorted(CONTACTS))
def test_the_same_first_name_under_the_same_contacts_links(contacts, model_name):
    model = MODELS[model_name]()
    fiche = _HOME | CONTACTS[contacts] | {"prenom": "Marine"}
    assert _kinds(fiche, dict(fiche), model) == {"link"}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("names", [("Mathilde", "Mathide"), ("Hamida", "Hamid"),
                                   ("Marina", "Marine"), ("Jean-Marc", "Jean-Mac")])
def test_a_first_name_retyped_under_the_person_s_own_e_mail_is_left_to_the_model(
        names, model_name):
    """The address names one side's first name and not the other's: the person's own,
    typed again with a first name retyped; the household rule does not hold the pair."""
    model = MODELS[model_name]()
    own = {"courriel": f"{names[0].lower()}.martin@orange.fr"}
    first = _HOME | own | {"prenom": names[0]}
    second = _HOME | own | {"prenom": names[1]}
    assert _kinds(first, second, model) | _kinds(second, first, model) == {"link"}


def _rows() -> list[dict[str, str]]:
    rows = []
    for n, (x, y) in enumerate(TWINS):
        home = _HOME | {"nom": f"Martin{chr(97 + n)}", "adresse_ligne": f"{n + 10} rue des Lilas",
                        "telephone": f"06 12 34 56 {n:02d}", "courriel": f"famille{n}@orange.fr"}
        for k, first_name in enumerate((x, y, x)):
            rows.append({f: "" for f in RECORD_FIELDS} | home
                        | {"prenom": first_name, "id": f"{n}-{k}"})
    return rows


def together_in_both(rows: list[dict[str, str]], typo_heavy: bool, tmp_path: Path
                     ) -> set[tuple[str, str]]:
    """The pairs `capactif dedup` puts together under the shipped model (or the typo-heavy
    one with households), checked to be the pairs the online matcher puts together."""
    model = MODELS["typo-heavy, households" if typo_heavy else "shipped"]()
    _batch, together_batch, together_online = together(rows, model, tmp_path)
    assert together_batch == together_online
    return together_batch


@pytest.mark.parametrize("typo_heavy", [False, True], ids=["shipped", "typo-heavy"])
def test_online_and_batch_keep_twins_apart_and_link_the_same_fiche(tmp_path, typo_heavy):
    """Each home: twins of alike first names, and the first twin's fiche typed again."""
    assert together_in_both(_rows(), typo_heavy, tmp_path) == {
        (f"{n}-0", f"{n}-2") for n in range(len(TWINS))}
