"""Families the matching must never join, whatever model it runs (the shipped one, or one
trained on typo-heavy files that show households, every veto lifted): twins born the same
day at one home (Jean / Jean-Baptiste, Marie-Anne / Marie, Kenzi / Kenzo: names missing
from every list), people of one hostel born on the conventional 01/01 (Mohamed /
Mohamed-Amine, Mamadou / Mamadou-Saliou), and a father and his son of one name at one
home, no birth date, each their own mobile, a family's mailbox or none
(`household.UNDATED`); nor people of one home
whose e-mails at one provider differ before the @, the domain mistyped on one fiche
(`mail_providers`). Online (both decision paths, either fiche first) and in batch, and
both put the same fiches together."""

from __future__ import annotations

import pytest

from hub.domain.matching.comparisons import CLOSE, DIFFERENT, EXACT, MISSING
from hub.domain.matching.household import APART, UNDATED, household_verdict, resolve
from hub.domain.matching.model import MatchModel, default_model
from hub.domain.matching.record import RECORD_FIELDS, normalise_record
from tests.unit.matching.test_matching_agreement import together
from tests.unit.matching.test_matching_household_review import _batch, _fiche, _kinds
from tests.unit.matching.test_matching_precision_families import _typo_heavy
from tests.unit.matching.test_matching_weak_edge import online_porteurs

MODELS = ("shipped", "typo-heavy, households")
Pair = tuple[dict[str, str], dict[str, str]]


def model_named(name: str) -> MatchModel:
    return default_model() if name == "shipped" else _typo_heavy(0.3)


def both_orders(pair: Pair, model: MatchModel) -> set[str]:
    """The online decisions (explained path and pattern scorer's), each fiche first."""
    return set(_kinds(pair, model)) | set(_kinds(pair[::-1], model))


_HOSTEL = {"adresse_ligne": "12 rue de la Gare, foyer", "code_postal": "93200", "commune": "Saint-Denis"}


def _hosted(nom: str, prenom: str) -> dict[str, str]:
    return {"nom": nom, "prenom": prenom, "date_naissance": "01/01/1985", **_HOSTEL}


# One person typed twice beside them, the domain mistyped on one fiche (a fiche of the
# names and the e-mail alone): one porteur, no review (`test_matching_mail_providers`).
ONE = {
    "orage.fr, no birth date, no home on a side": (
        _fiche("Lefebvre", "Jean", "", courriel="jean.lefebvre@orange.fr"),
        {"nom": "LEFEBVRE", "prenom": "JEAN", "courriel": "Jean.Lefebvre@orage.fr"},
    ),
    "gmial.com, no birth date, no home on a side": (
        _fiche("Vasseur", "Claire", "", courriel="claire.vasseur@gmail.com"),
        {"nom": "Vasseur", "prenom": "Claire", "courriel": "Claire.Vasseur@gmial.com"},
    ),
}
TWO = {
    "twins, names missing from every list (Kenzi / Kenzo)": (
        _fiche("Benali", "Kenzi", "2012-03-04"),
        _fiche("Benali", "Kenzo", "2012-03-04"),
    ),
    "twins Jean / Jean-Baptiste": (
        _fiche("Martin", "Jean", "1990-03-04"),
        _fiche("Martin", "Jean-Baptiste", "1990-03-04"),
    ),
    "twins Marie-Anne / Marie": (
        _fiche("Moreau", "Marie-Anne", "1990-03-04"),
        _fiche("Moreau", "Marie", "1990-03-04"),
    ),
    "a hostel's 01/01, Mohamed / Mohamed-Amine": (
        _hosted("Diallo", "Mohamed"),
        _hosted("Diallo", "Mohamed-Amine"),
    ),
    "a hostel's 01/01, Mamadou / Mamadou-Saliou": (
        _hosted("Traoré", "Mamadou"),
        _hosted("Traoré", "Mamadou-Saliou"),
    ),
    "a father and his son, no date, own mobiles": (
        _fiche("Garnier", "Jean", "", telephone="06 11 22 33 44"),
        _fiche("Garnier", "Jean", "", telephone="06 55 66 77 88"),
    ),
    "a father and his son, no date, own mobiles, a family's mailbox": (
        _fiche("Dupont", "Jean", "", telephone="06 13 24 35 46", courriel="famille.dupont@orange.fr"),
        _fiche("Dupont", "Jean", "", telephone="06 57 68 79 80", courriel="famille.dupont@orange.fr"),
    ),
    "a father and his son, a date on one side, own mobiles": (
        _fiche("Perret", "Louis", "1958-06-02", telephone="06 12 12 34 34"),
        _fiche("Perret", "Louis", "", telephone="07 56 56 78 78"),
    ),
    # Each their own e-mail at one provider, its domain mistyped on one fiche
    # (`mail_providers`): the user names still tell them apart.
    "a father and his son, own mobiles, gmail / gmial numbered": (
        _fiche("Lemoine", "Jean", "", telephone="06 12 21 34 43", courriel="jean.lemoine@gmail.com"),
        _fiche("Lemoine", "Jean", "", telephone="06 56 65 78 87", courriel="jean.lemoine2@gmial.com"),
    ),
    "twins Léa / Léo, gmail / gmial, the user a letter apart": (
        _fiche("Perrin", "Léa", "2001-05-05", courriel="lea.perrin@gmail.com"),
        _fiche("Perrin", "Léo", "2001-05-05", courriel="leo.perrin@gmial.com"),
    ),
    "a mother and her daughter, one initial, gmail / gmial numbered": (
        _fiche("Fabre", "Catherine", "1960-09-14", courriel="c.fabre@gmail.com"),
        _fiche("Fabre", "Camille", "1990-02-14", courriel="c.fabre2@gmial.com"),
    ),
    "a couple, orange / orage, each their own user": (
        _fiche("Roussel", "Paul", "1960-02-03", courriel="paul.roussel@orange.fr"),
        _fiche("Roussel", "Pauline", "1962-02-03", courriel="pauline.roussel@orage.fr"),
    ),
}


def never_one_porteur(pair: Pair, model: MatchModel, tmp_path) -> None:
    """Never linked online (either fiche first, both paths) nor clustered in batch."""
    assert "link" not in both_orders(pair, model)
    assert _batch(pair, model, tmp_path)[0] == 2


def at_own_homes(groups: dict[str, dict[str, Pair]]) -> list[dict[str, str]]:
    """The pairs' fiches as rows (ids "<group><n>-<k>"), each pair at its own home in its
    own town; a fiche that gives no home is given none."""
    rows: list[dict[str, str]] = []
    for group, cases in groups.items():
        for n, case in enumerate(sorted(cases)):
            for k, row in enumerate(cases[case]):
                home = {
                    "adresse_ligne": f"{len(rows) // 2 + 2} rue des Tilleuls",
                    "code_postal": f"63{len(rows) // 2:03d}",
                    "commune": f"Ville {group} {n}",
                }
                given = {field: value for field, value in home.items() if row.get(field)}
                rows.append({f: "" for f in RECORD_FIELDS} | row | given | {"id": f"{group}{n}-{k}"})
    return rows


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("case", sorted(TWO))
def test_twins_a_hostels_01_01_and_a_father_and_his_son_are_never_one_porteur(case, model_name, tmp_path):
    never_one_porteur(TWO[case], model_named(model_name), tmp_path)


@pytest.mark.parametrize("model_name", MODELS)
def test_online_and_batch_put_the_same_fiches_together(tmp_path, model_name):
    """Each case at its own home in its own town (where a fiche gives one): the batch and
    the online matcher (each fiche against the ones before it) put together the pairs of
    one person only."""
    rows = at_own_homes({"one": ONE, "two": TWO})
    _clusters, in_batch, online = together(rows, model_named(model_name), tmp_path)
    assert in_batch == online == {(f"one{n}-0", f"one{n}-1") for n in range(len(ONE))}


_SAME_NAME_NO_DATE = {
    "nom": EXACT,
    "prenom": EXACT,
    "date_naissance": MISSING,
    "adresse": EXACT,
    "lieu": EXACT,
}


def test_one_name_no_date_and_a_contact_different_asks_the_records():
    assert household_verdict({**_SAME_NAME_NO_DATE, "telephone": DIFFERENT}) == UNDATED
    assert household_verdict(_SAME_NAME_NO_DATE) is None  # nothing tells them apart
    # two e-mails alone: one person often gives two
    assert household_verdict({**_SAME_NAME_NO_DATE, "courriel": DIFFERENT}) is None
    assert (
        household_verdict({**_SAME_NAME_NO_DATE, "telephone": DIFFERENT, "courriel": CLOSE}) is None
    )  # his own e-mail, retyped


def _resolved(one: dict[str, str], other: dict[str, str]) -> str | None:
    a, b = normalise_record(one), normalise_record(other)
    levels = {**_SAME_NAME_NO_DATE, "telephone": DIFFERENT}
    return resolve(levels, household_verdict(levels), a, b)[0]


def test_each_their_own_mobile_is_two_people_two_landlines_say_nothing():
    assert _resolved({"telephone": "06 11 22 33 44"}, {"telephone": "06 55 66 77 88"}) == APART
    assert _resolved({"telephone": "01 42 00 11 22"}, {"telephone": "01 43 55 66 77"}) is None


def _bridged(pair: Pair) -> list[dict[str, str]]:
    """The pair's fiches and a third one of the first's names and home without its birth
    date, with the contacts of both: one person with each as far as it goes."""
    first, second = pair
    bridge = {**first, "date_naissance": "",
              "telephone": first.get("telephone") or second.get("telephone", ""),
              "courriel": first.get("courriel") or second.get("courriel", "")}
    return [{f: "" for f in RECORD_FIELDS} | row | {"id": f"f{k}"}
            for k, row in enumerate((first, second, bridge))]


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("case", sorted(TWO))
def test_no_third_fiche_holds_twins_a_hostels_01_01_or_a_father_and_his_son_together(
        case, model_name, tmp_path):
    """What tells them apart is no weak edge (`cluster.outvoted`): a fiche one person with
    both as far as it goes joins them neither in batch nor online."""
    model = model_named(model_name)
    rows = _bridged(TWO[case])
    batch, _in_batch, _online = together(rows, model, tmp_path)
    assert batch["f0"] != batch["f1"]
    online = online_porteurs(rows, model)
    assert online["f0"] != online["f1"]
