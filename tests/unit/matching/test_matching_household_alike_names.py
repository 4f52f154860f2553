"""Two people of one surname and one home whose first names are alike but not the same
(twins Léa / Léo, a brother and his sister Julien / Juliette, Louis / Louise, a name and
its diminutive): nothing but the surname, the home and at most one birth date agreeing
does not tell them apart, so the hub never links them, whatever model it runs. With no
contact of the person's own on both sides, a coordinator decides (a review); with a
personal e-mail or mobile on each side, and the two different, they are two people.
Online, on both decision paths, with the shipped model and with models trained on
typo-heavy files (households in the training file or not)."""

from __future__ import annotations

import pytest

from hub.domain.matching import Candidate, match_one, normalise_record
from hub.domain.matching.comparisons import DIFFERENT
from hub.domain.matching.model import MatchModel, default_model
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "12 rue des Lilas", "code_postal": "63600", "commune": "Ambert"}

ALIKE = [("Léa", "Léo"), ("Julien", "Juliette"), ("Jules", "Julie"), ("Nathan", "Nathalie"),
         ("Romain", "Romane"), ("Marine", "Martine"), ("Louis", "Louise"), ("Manon", "Marion"),
         ("Lucas", "Lucie"), ("Mathis", "Mathias"), ("Emma", "Emmy"), ("Noé", "Noa"),
         ("Simon", "Simone"), ("Daniel", "Danielle"), ("Emmanuel", "Manu"),
         ("Timéo", "Théo"), ("Clément", "Clémence"), ("Yann", "Yannick")]

# (the first person's fiche beside the names, the second's): what agrees is the surname,
# the home and at most the birth date.
SHAPES = {
    "twins, one birth date": ({"date_naissance": "2001-06-15", **_HOME},
                              {"date_naissance": "2001-06-15", **_HOME}),
    "a birth date on one side": ({"date_naissance": "1990-05-01", **_HOME}, dict(_HOME)),
    "no birth date": (dict(_HOME), dict(_HOME)),
    "the street line alone on one side": ({"date_naissance": "1988-04-12", **_HOME},
                                          {"adresse_ligne": _HOME["adresse_ligne"]}),
}

MODELS = {"shipped": default_model, "typo-heavy, households": lambda: _typo_heavy(0.3)}


def _kinds(first: dict[str, str], second: dict[str, str], model: MatchModel) -> set[str]:
    """The online decisions (explained path and pattern scorer) of the second fiche
    against the first."""
    a, b = normalise_record(first, "a"), normalise_record(second, "b")
    candidates = [Candidate("p-1", a)]
    return {match_one(b, candidates, model).kind,
            model.pattern_scorer.match_one(b, candidates).kind}


def _pair(names: tuple[str, str], shape: str, **contacts: dict[str, str]):
    (x, y), (fx, fy) = names, SHAPES[shape]
    return ({"nom": "Hislop", "prenom": x, **fx, **contacts.get("a", {})},
            {"nom": "Hislop", "prenom": y, **fy, **contacts.get("b", {})})


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("names", ALIKE, ids=[f"{a}/{b}" for a, b in ALIKE])
def test_alike_first_names_at_one_home_are_never_linked(names, shape, model_name):
    """Both orders: the candidate may be either person."""
    model = MODELS[model_name]()
    first, second = _pair(names, shape)
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", ["twins, one birth date", "a birth date on one side"])
@pytest.mark.parametrize("names", ALIKE, ids=[f"{a}/{b}" for a, b in ALIKE])
def test_with_no_contact_of_their_own_a_coordinator_decides(names, shape, model_name):
    """Both records hold the whole home: the probability is high, the rule holds the pair
    for a coordinator, or for two people where the first names are a feminine form."""
    model = MODELS[model_name]()
    first, second = _pair(names, shape)
    kinds = _kinds(second, first, model)
    assert kinds in ({"review"}, {"new"})
    explanation = model.score(normalise_record(second, "b"), normalise_record(first, "a"))
    assert explanation.household_rule is not None


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", ["twins, one birth date", "a birth date on one side"])
@pytest.mark.parametrize("names", ALIKE, ids=[f"{a}/{b}" for a, b in ALIKE])
def test_a_personal_e_mail_on_each_side_says_two_people(names, shape, model_name):
    """Each their own e-mail, the two plainly different: no coordinator needed where the
    first names are close or fuzzy. Names different by their level are two people
    (Louis / Louise) or, two typed letters apart (Lucas / Lucie, Timéo / Théo), stay
    with the coordinator (`household.resolve`): never a link."""
    first, second = _pair(names, shape, a={"courriel": "premier.hislop@exemple.fr"},
                          b={"courriel": "k.h63@autre-exemple.fr"})
    model = MODELS[model_name]()
    level = model.score(normalise_record(second, "b"), normalise_record(first, "a")).level_of(
        "prenom")
    kinds = _kinds(second, first, model)
    assert kinds in ({"review"}, {"new"}) if level == DIFFERENT else kinds == {"new"}


@pytest.mark.parametrize("names", [("Léa", "Léo"), ("Julien", "Juliette"), ("Jules", "Julie")])
def test_e_mails_that_differ_by_the_first_name_are_no_evidence_for_one_person(names):
    """lea.hislop@ and leo.hislop@ are one typed letter apart, as the names are: twins'
    own addresses, never a link."""
    x, y = names
    first, second = _pair(names, "twins, one birth date",
                          a={"courriel": f"{x.lower()}.hislop@exemple.fr"},
                          b={"courriel": f"{y.lower()}.hislop@exemple.fr"})
    for model in (default_model(), _typo_heavy(0.3)):
        assert "link" not in _kinds(second, first, model)


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("shape", ["a birth date on one side", "no birth date",
                                   "the street line alone on one side"])
@pytest.mark.parametrize("names", ALIKE, ids=[f"{a}/{b}" for a, b in ALIKE])
def test_a_first_name_alike_with_a_birth_date_on_one_side_at_most_adds_nothing_to_a_home(
        names, shape, model_name):
    """Where the file shows households: the surname and the home with first names alike
    (a birth date on one side at most) are what a household shares, never a link. (A
    typo-heavy file without households holds no twin: there the model weighs them, as it
    weighs twins' fiches both dated: `test_matching_alike_without_households`.)"""
    first, second = _pair(names, shape)
    model = MODELS[model_name]()
    assert "link" not in _kinds(first, second, model) | _kinds(second, first, model)


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_one_e_mail_of_the_person_s_own_still_links_a_retyped_first_name(model_name):
    """The rule holds pairs that nothing personal tells apart; one e-mail shared exactly
    is the person's own: the model decides, and links."""
    mail = {"courriel": "julien.hislop@exemple.fr"}
    first, second = _pair(("Julien", "Julein"), "twins, one birth date", a=mail, b=mail)
    assert _kinds(second, first, MODELS[model_name]()) == {"link"}
