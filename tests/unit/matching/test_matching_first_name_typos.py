"""A first name retyped at one home (Mathilde / Mathidle: one a first name in use, the other
none, a typed letter apart) links again where nothing else of the person's own agrees;
two first names in use (Marine / Martine, twins) and two first names neither of which is
known stay with the careful rules: never a link. Online, on both decision paths, with
the shipped model and a model trained on typo-heavy files; and the batch puts the same
fiches together as the online matcher."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.matching import normalise_record
from hub.domain.matching.model import Explanation, MatchModel, default_model
from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_household_alike_names import _kinds
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "12 rue des Lilas", "code_postal": "63600", "commune": "Ambert"}

# A first name in use, and the same typed with a letter exchanged, dropped, doubled or
# replaced: no first name of any list.
RETYPED = [("Mathilde", "Mathidle"), ("Martine", "Matrine"), ("Nicolas", "Nicloas"),
           ("Stéphanie", "Stéphnaie"), ("Sébastien", "Sébastein"),
           ("Christophe", "Christohpe"), ("Jean-Pierre", "Jaen-Pierre")]
# Two first names in use one typed letter apart: twins' and siblings' names.
TWO_NAMES = [("Marine", "Martine"), ("Mathis", "Mathias"), ("Emma", "Emmy"),
             ("Marina", "Marine"), ("Camille", "Camilla"), ("Lucas", "Lukas"),
             ("Anne-Marie", "Anne-Maria")]
# Neither first name known (no list holds them, the model's table neither): careful.
UNKNOWN = [("Zorglune", "Zorglyne"), ("Brastiel", "Brastial")]
# Twins and siblings whose first names are made from each other by a letter added,
# dropped or replaced, or the last two exchanged, one of them missing from the list of
# given names: how families name children, never called a typo (`one_slip_apart`).
FAMILY_MADE = [("Hamid", "Hamida"), ("Nassim", "Nassima"), ("Wassim", "Wassima"),
               ("Sami", "Samia"), ("Hakim", "Hakima"), ("Mounir", "Mounira"),
               ("Nadir", "Nadira"), ("Djamel", "Djamila"), ("Aylan", "Aylin"),
               ("Ilan", "Ilian"), ("Enora", "Enola"), ("Noam", "Noan"), ("Mélia", "Mélina"),
               ("Noah", "Noha"), ("Ibrahim", "Ibrahima"), ("Elyes", "Elyas"),
               ("Lucie", "Lucei"), ("Nathalie", "Nathlie"), ("Bernard", "Bnnard"),
               # a letter doubled: two spellings in use, the list lacking one
               ("Louane", "Louanne"), ("Mathis", "Matthis"), ("Mayssa", "Maysa"),
               ("Sanaa", "Sana"), ("Giovanna", "Giovana"), ("Yassine", "Yasine"),
               ("Lenny", "Leny"), ("Nolan", "Nollan"), ("Rayan", "Rayann"),
               ("Juliette", "Juliete"), ("Isabelle", "Isabele"),
               # a neighbouring key (QWERTY or AZERTY): both names in French use, one
               # missing from every list (a key-slip rule linked these twins)
               ("Alexie", "Alexis"), ("Naëlle", "Maëlle"), ("Naëlys", "Maëlys"),
               ("Kaëlys", "Maëlys"), ("Mélia", "Nélia"), ("Lylian", "Kylian"),
               ("Kenzi", "Kenzo"), ("Kiliane", "Liliane"), ("Lyana", "Luana"),
               ("Melly", "Nelly"), ("Melly", "Kelly"), ("Naïla", "Naïma"),
               ("Ilane", "Imane"), ("Aylan", "Ayman"), ("Kamel", "Jamel"),
               ("Saran", "Sarah"), ("Shaïma", "Shaïna"), ("Nélys", "Nélya"),
               ("Ilana", "Ioana"), ("Cuong", "Duong"), ("Alisée", "Alizée"),
               ("Hamsa", "Hamza"), ("Xabier", "Xavier")]

SHAPES = {
    "a birth date on one side": ({"date_naissance": "1990-05-01", **_HOME}, dict(_HOME)),
    "no birth date": (dict(_HOME), dict(_HOME)),
    "one birth date": ({"date_naissance": "2001-06-15", **_HOME},
                       {"date_naissance": "2001-06-15", **_HOME}),
}
MODELS = {"shipped": default_model, "typo-heavy, households": lambda: _typo_heavy(0.3)}


def _pair(names: tuple[str, str], shape: str) -> tuple[dict[str, str], dict[str, str]]:
    (x, y), (fx, fy) = names, SHAPES[shape]
    return {"nom": "Hislop", "prenom": x, **fx}, {"nom": "Hislop", "prenom": y, **fy}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("names", RETYPED, ids=[f"{a}/{b}" for a, b in RETYPED])
def test_a_first_name_retyped_at_one_home_links(names, shape, model_name):
    """Both orders: the fiche typed first may hold either spelling. The explanation says
    why the home rule did not hold it (`prenom_retape`)."""
    model = MODELS[model_name]()
    first, second = _pair(names, shape)
    assert _kinds(first, second, model) == {"link"}
    assert _kinds(second, first, model) == {"link"}
    explanation = model.score(normalise_record(second, "b"), normalise_record(first, "a"))
    says_why(explanation, "first_name_retyped", "prenom_retape", "prénom retapé : ")


def says_why(explanation: Explanation, flag: str, key: str, line: str) -> None:
    """The explanation holds the rule's flag, the household rule none, the API key
    (through `to_dict` and back) and the rule's line among its last ones."""
    assert getattr(explanation, flag) and explanation.household_rule is None
    assert explanation.to_dict()[key] is True
    assert getattr(Explanation.from_dict(explanation.to_dict()), flag)
    assert any(text.startswith(line) for text in explanation.lines_fr()[-3:-1])


def links_and_says_why(first: dict[str, str], second: dict[str, str], model: MatchModel,
                       *why: str) -> None:
    """Both orders link online (both decision paths), and the explanation of the second
    fiche against the first says why (`says_why`: flag, API key, line)."""
    assert _kinds(first, second, model) == {"link"}
    assert _kinds(second, first, model) == {"link"}
    flag, key, line = why
    says_why(model.score(normalise_record(second, "b"), normalise_record(first, "a")),
             flag, key, line)


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("names", TWO_NAMES + UNKNOWN + FAMILY_MADE,
                         ids=[f"{a}/{b}" for a, b in TWO_NAMES + UNKNOWN + FAMILY_MADE])
def test_two_names_in_use_or_two_unknown_are_never_linked_at_one_home(names, shape, model_name):
    """Twins Marine / Martine, Hamid / Hamida, Ilan / Ilian (the list lacking one of the
    names or not), or names no list knows: what agrees is what a household shares, a
    coordinator decides (or two people), never a link."""
    model = MODELS[model_name]()
    first, second = _pair(names, shape)
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)
    explanation = model.score(normalise_record(second, "b"), normalise_record(first, "a"))
    assert not explanation.first_name_retyped


def test_a_name_the_data_hold_often_is_in_use_whatever_the_list_says():
    """Zorglune is in no list; a model whose training file held it often (its table of
    first names) reads Zorlgune as Zorglune retyped, and two names of its table as two
    names."""
    shipped = default_model()
    first, second = _pair(("Zorglune", "Zorlgune"), "a birth date on one side")
    assert "link" not in _kinds(first, second, shipped)
    tables = shipped.tf["prenom"]
    seen = dataclasses.replace(shipped, tf={**shipped.tf, "prenom": {**tables, "ZORGLUNE": 0.01}})
    assert _kinds(first, second, seen) == {"link"}
    both = dataclasses.replace(shipped, tf={**shipped.tf, "prenom": {
        **tables, "ZORGLUNE": 0.01, "ZORLGUNE": 0.01}})
    assert "link" not in _kinds(first, second, both) | _kinds(second, first, both)


def test_each_their_own_mobile_says_two_people_even_under_a_retyped_first_name():
    """A typo beside two mobiles that differ: the household rule keeps them two people."""
    first, second = _pair(("Mathilde", "Mathidle"), "one birth date")
    first, second = {**first, "telephone": "06 11 22 33 44"}, {**second, "telephone": "06 55 66 77 88"}
    for model in (default_model(), _typo_heavy(0.3)):
        assert "link" not in _kinds(first, second, model)


_SURNAMES = ("Vialatte", "Chassaing", "Bouchut", "Roddier", "Fayolle", "Tixier", "Gaidier",
             "Brugiere", "Vernadal", "Chomette")


def _family_rows() -> list[dict[str, str]]:
    """Families at their homes: twins of two names in use, one person typed twice (a
    letter exchanged, the birth date on one fiche), two fiches of names no list knows."""
    rows = []
    for n, twins in enumerate(TWO_NAMES):
        retyped, unknown = RETYPED[n], UNKNOWN[n % len(UNKNOWN)]
        home = {"adresse_ligne": f"{n + 3} rue des Tilleuls", "code_postal": "63600",
                "commune": "Ambert"}
        kept = {"nom": _SURNAMES[n], **home}
        born = {"date_naissance": f"19{70 + n}-0{1 + n % 9}-1{n % 9}"}
        twins_born = {"date_naissance": f"20{10 + n}-1{n % 3}-2{n % 9}"}
        for k, (first_name, extra) in enumerate([
                (retyped[0], born), (retyped[1], {}), (twins[0], twins_born),
                (twins[1], twins_born), (unknown[0], born), (unknown[1], {})]):
            rows.append({f: "" for f in RECORD_FIELDS} | kept | extra
                        | {"prenom": first_name, "id": f"{n}-{k}"})
    return rows


@pytest.mark.parametrize("typo_heavy", [False, True], ids=["shipped", "typo-heavy"])
def test_online_and_batch_put_the_same_fiches_together(tmp_path, typo_heavy):
    """`capactif dedup` and the online matcher (each fiche against the ones before it):
    the same pairs together; every retyped first name with its fiche, no twins together,
    no names unknown together."""
    rows = _family_rows()
    _batch, together_batch, together_online = together(
        rows, _typo_heavy(0.3) if typo_heavy else default_model(), tmp_path)
    assert together_batch == together_online
    assert together_batch == {(f"{n}-0", f"{n}-1") for n in range(len(TWO_NAMES))}


# Twins given one mobile, a parent's: the mobile agreeing is a household's, not a person's.
_ONE_MOBILE = {"date_naissance": "2012-05-05", "telephone": "06 98 76 54 41", **_HOME}


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("names", [("Léa", "Léo"), ("Hamid", "Hamida"), ("Marine", "Martine"),
                                   ("Louane", "Louanne")])
def test_twins_of_alike_first_names_given_one_mobile_are_never_linked(names, model_name):
    model = MODELS[model_name]()
    first = {"nom": "Mercier", "prenom": names[0], **_ONE_MOBILE}
    second = {"nom": "Mercier", "prenom": names[1], **_ONE_MOBILE}
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)
