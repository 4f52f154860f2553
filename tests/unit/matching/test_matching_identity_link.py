"""One identity at two homes (issue 16, French households): the surname, the first name
and the full birth date agreeing link a pair wherever each record places the person,
unless a contact given on both sides says another one. The model weighs the street and
the town apart, so a move counted twice against the pair (a quarter of the households
of the held-out French set moved). Online on both decision paths and in batch, and the
setting (`lien_par_identite`) off gives the probability alone, as before."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.matching import Candidate, default_model, match_one, normalise_record
from hub.domain.matching.decision import compatible, identity_links, pair_kind
from hub.domain.matching.model import NAMESAKE_SHARE, MatchModel
from hub.domain.matching.settings import MatchingSettings, default_settings
from schemas.loader import validator
from tests.unit.matching.test_matching_household_review import (
    RETYPED,
    TWO,
    _batch,
    _fiche,
    _kinds,
)
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_ELSEWHERE = {"adresse_ligne": "12 rue des Tilleuls", "code_postal": "71100",
              "commune": "Chalon-sur-Saône"}


def _moved(first: dict[str, str], **second: str) -> tuple[dict[str, str], dict[str, str]]:
    return first, {**first, **_ELSEWHERE, **second}


def _with_rule(model: MatchModel, on: bool = True) -> MatchModel:
    """The rule on in the settings, and namesakes measured rare by the training where the
    model file does not say (the shipped one): the rule holds only there."""
    decision = dataclasses.replace(model.settings.decision, identity_link=on)
    return dataclasses.replace(model, settings=dataclasses.replace(model.settings,
                                                                   decision=decision),
                               training={NAMESAKE_SHARE: 0.0, **model.training})


MODELS = {"shipped": default_model, "typo-heavy, households": _typo_heavy}
# One person met before and after a move (another street, another town).
MOVED = {
    "no contact": _moved(_fiche("Bernard", "Anaïs", "1951-11-03")),
    "surname typed a letter off": _moved(_fiche("Masnec", "Thierry", "1995-05-18"),
                                         nom="Masnek"),
    "one e-mail, another given": _moved(
        _fiche("Robert", "Alfred", "2001-10-05", courriel="alfred.robert@example.org"),
        courriel=""),
}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("case", sorted(MOVED))
def test_a_person_who_moved_links_on_names_and_birth_date(case, model, tmp_path):
    trained = _with_rule(MODELS[model]())
    assert _kinds(MOVED[case], trained) == ("link", "link")
    assert _batch(MOVED[case], trained, tmp_path) == (1, 0)


@pytest.mark.parametrize("case", sorted(MOVED))
def test_without_the_rule_the_places_weigh_as_before(case):
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(MOVED[case]))
    trained = _with_rule(default_model(), on=False)
    explanation = trained.score(second, first)
    assert pair_kind(explanation, trained.decision) != "link"
    assert pair_kind(explanation, _with_rule(default_model()).decision) == "link"


# Two dates only close: one person or two born within a year, the probability decides
# (day and month swapped are the same digits: one identity, `test_matching_swapped_dates`).
CLOSE_DATES = {
    "a digit off": _moved(_fiche("Martin", "Jean", "1980-06-01"), date_naissance="1980-06-07"),
    "a year apart": _moved(_fiche("Martin", "Jean", "1980-06-01"), date_naissance="1981-06-01"),
}


def test_the_shipped_model_measured_no_namesakes_and_leaves_identity_to_the_probability():
    """The shipped model file holds no `part_homonymes`: nothing measured, so the
    rule is off there whatever its settings say (the worker scores with it online)."""
    model = default_model()
    assert model.settings.decision.identity_link is True
    assert NAMESAKE_SHARE not in model.training
    assert model.decision.identity_link is False
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(MOVED["no contact"]))
    assert pair_kind(model.score(second, first), model.decision) != "link"


# Namesakes born the same day elsewhere: a contact given on both sides and plainly
# different says another person.
NAMESAKES = {
    "two mobiles": _moved(_fiche("Martin", "Marie", "1980-06-01", telephone="0612345678"),
                          telephone="0698765432"),
    "two e-mails": _moved(_fiche("Martin", "Marie", "1980-06-01",
                                 courriel="marie.martin@example.org"),
                          courriel="mm.chalon@example.net"),
}


NO_IDENTITY = {**NAMESAKES, **CLOSE_DATES}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("case", sorted(NO_IDENTITY))
def test_a_contact_plainly_different_or_a_date_only_close_is_no_identity(case, model, tmp_path):
    """The rule says nothing there: the decisions are the probability's, as without it."""
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(NO_IDENTITY[case]))
    trained = _with_rule(MODELS[model]())
    assert not identity_links(trained.score(second, first), trained.decision)
    before = _with_rule(MODELS[model](), on=False)
    assert _kinds(NO_IDENTITY[case], trained) == _kinds(NO_IDENTITY[case], before)
    assert _batch(NO_IDENTITY[case], trained, tmp_path) == _batch(NO_IDENTITY[case], before,
                                                                   tmp_path)


@pytest.mark.parametrize("case", sorted(TWO))
def test_two_of_one_household_stay_two_people_under_the_rule(case, tmp_path):
    trained = _with_rule(_typo_heavy())
    assert _kinds(TWO[case], trained) == ("new", "new")
    assert _batch(TWO[case], trained, tmp_path) == (2, 0)


@pytest.mark.parametrize("case", sorted(RETYPED))
def test_a_household_pair_for_a_coordinator_stays_in_review_under_the_rule(case, tmp_path):
    trained = _with_rule(_typo_heavy())
    assert _kinds(RETYPED[case], trained) == ("review", "review")
    assert _batch(RETYPED[case], trained, tmp_path) == (2, 1)


def test_a_moved_pair_of_one_identity_may_share_a_cluster():
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(MOVED["no contact"]))
    trained = _with_rule(default_model())
    explanation = trained.score(second, first)
    assert explanation.probability < trained.decision.cluster_bound()
    assert compatible(explanation, trained.decision)


def test_the_shipped_settings_link_on_identity_and_say_so_in_their_file():
    settings = default_settings()
    assert settings.decision.identity_link is True
    document = settings.to_dict()
    assert document["decision"]["lien_par_identite"] is True
    assert validator("matching_settings").errors(document) == []
    off = {**document, "decision": {**document["decision"], "lien_par_identite": False}}
    assert MatchingSettings.from_dict(off).decision.identity_link is False
    wrong = {**document, "decision": {**document["decision"], "lien_par_identite": "oui"}}
    assert validator("matching_settings").errors(wrong)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_link_of_one_identity_outranks_a_pair_that_asks_nothing(model):
    """Anaïs met again at her new home, where a Marc BERNARD without a birth date lives:
    his pair weighs more than hers (the home agrees) but is no question (another first
    name, below every threshold), so it never turns her link into a review, online on
    both paths as in batch."""
    trained = _with_rule(MODELS[model]())
    old_home, new_home = _moved(_fiche("Bernard", "Anaïs", "1951-11-03"))
    new = normalise_record(new_home, "new")
    neighbour = normalise_record({**new_home, "prenom": "Marc", "date_naissance": ""}, "marc")
    candidates = [Candidate("p-marc", neighbour), Candidate("p-anais",
                                                           normalise_record(old_home, "old"))]
    assert trained.score(new, neighbour).probability > trained.score(
        new, candidates[1].record).probability
    for decision in (match_one(new, candidates, trained),
                     trained.pattern_scorer.match_one(new, candidates),
                     trained.pattern_scorer.match_one(new, candidates, best_new=False)):
        assert (decision.kind, decision.porteur_id) == ("link", "p-anais")


@pytest.mark.parametrize(("share", "links"), [(None, False), (0.0, True), (0.005, True),
                                              (0.018, False), (0.068, False)])
def test_identity_links_only_where_the_training_file_saw_next_to_no_namesakes(share, links):
    """Namesakes (one name and birth date, two people) are one identity elsewhere: where
    the training estimated more than a few among its pairs agreeing on identity
    (`part_homonymes`), the probability alone decides, as without the rule."""
    model = _with_rule(default_model())
    training = {k: v for k, v in model.training.items() if k != NAMESAKE_SHARE}
    training.update({} if share is None else {NAMESAKE_SHARE: share})
    trained = dataclasses.replace(model, training=training)
    assert trained.decision.identity_link is links
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(MOVED["no contact"]))
    assert (pair_kind(trained.score(second, first), trained.decision) == "link") is links


def test_training_estimates_the_namesakes_among_the_pairs_agreeing_on_identity():
    from collections import Counter

    from hub.domain.matching.training import identity_namesakes
    model = default_model()
    comparisons = model.comparisons
    fields = [c.field for c in comparisons]
    one = tuple("exact" if f in ("nom", "prenom", "date_naissance", "telephone", "adresse",
                                 "lieu") else "missing" for f in fields)
    apart = tuple("exact" if f in ("nom", "prenom", "date_naissance") else
                  "different" if f in ("telephone", "adresse", "lieu") else "missing"
                  for f in fields)
    assert identity_namesakes(Counter({one: 500}), comparisons, model.u_random) < 1e-6
    assert identity_namesakes(Counter({one: 450, apart: 50}), comparisons,
                              model.u_random) > 0.05


@pytest.mark.parametrize(("share", "bound"), [(None, 0.98), (0.0, 0.95), (0.005, 0.95),
                                              (0.018, 0.98), (0.068, 0.98)])
def test_the_lower_link_threshold_holds_only_where_the_training_saw_no_namesakes(share, bound):
    """A pair between 0.95 and 0.98 is a question for a coordinator where namesakes may
    be (French households, 5 % of people given a namesake, seed 1: P 0.9926 against
    0.9979 at 0.98): the settings' 0.95 holds only where the training measured them rare."""
    settings = default_settings()
    assert settings.decision.link_probability == 0.95
    model = dataclasses.replace(default_model(), settings=settings)
    training = {k: v for k, v in model.training.items() if k != NAMESAKE_SHARE}
    training.update({} if share is None else {NAMESAKE_SHARE: share})
    assert dataclasses.replace(model, training=training).decision.link_probability == bound


def test_a_link_of_identity_alone_held_online_says_so_in_its_explanation_and_console():
    """The reason a coordinator reads (`online.OnlineMatcher._discloses`): the API key,
    its French line, kept with the review item and read back, and the console's reason."""
    from hub.domain.matching.model import IDENTITY_ONLY_KEY, Explanation
    from hub.services.console.duplicates_console import waiting_reason

    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(MOVED["no contact"]))
    trained = _with_rule(default_model())
    held = dataclasses.replace(trained.score(second, first), identity_only=True)
    document = held.to_dict()
    assert document[IDENTITY_ONLY_KEY] is True
    assert Explanation.from_dict(document).identity_only is True
    assert any(line.startswith("identité seule") for line in held.lines_fr())
    assert waiting_reason(document).startswith("Identité seule")
    assert IDENTITY_ONLY_KEY not in trained.score(second, first).to_dict()


def test_identity_alone_is_a_pair_with_no_street_nor_contact_agreeing_whatever_links_it():
    """Whether the identity rule or the probability links it: the shipped model (no rule)
    links a rarer name with one birth date on those alone, which anyone may guess."""
    from hub.domain.matching.decision import identity_alone, pair_kind

    trained = _with_rule(default_model())
    jean = {"nom": "Martin", "prenom": "Jean", "date_naissance": "1980-06-01"}
    full = {**jean, "courriel": "jean.martin@example.org", "adresse_ligne": "4 rue Haute",
            "code_postal": "63600", "commune": "Ambert"}

    def alone(a: dict[str, str], b: dict[str, str], model=trained) -> bool:
        return identity_alone(model.score(normalise_record(b, "b"), normalise_record(a, "a")))

    assert alone(full, jean)
    assert alone(full, {**jean, "code_postal": "63600", "commune": "Ambert"})
    assert alone(full, {**jean, "adresse_ligne": "9 rue Basse", "commune": "Ambert"})
    assert not alone(full, {**jean, "adresse_ligne": "4 rue Haute", "commune": "Ambert"})
    assert not alone(full, {**jean, "courriel": "jean.martin@example.org"})
    assert not alone(full, full)
    shipped = default_model()
    assert not shipped.decision.identity_link
    rare = {"nom": "Kerbiriou", "prenom": "Maëlys", "date_naissance": "1980-06-01"}
    rare_full = {**rare, "courriel": "mk@example.org", "adresse_ligne": "4 place Bellecour",
                 "code_postal": "69002", "commune": "Lyon"}
    probability_link = shipped.score(normalise_record(rare, "b"), normalise_record(rare_full, "a"))
    assert pair_kind(probability_link, shipped.decision) == "link"
    assert alone(rare_full, rare, shipped)
