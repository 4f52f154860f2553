"""A first name retyped past close (fuzzy) counts toward the fields agreeing where the
model lifts every veto (`decision.retyped_first_name`) and the birth date or a contact of
the person's own agrees, online and in batch; beside the surname and the home alone it
counts for nothing (a sister's first name is as alike), nor under a veto the model keeps,
and a pair comparing neither the first name nor the birth date stays with a coordinator
(surname and home are what a household shares)."""

from __future__ import annotations

from hub.domain.matching import Candidate, default_model, match_one, normalise_record, pair_kind
from hub.domain.matching.decision import has_enough_evidence, retyped_first_name
from hub.domain.matching.model import MatchModel
from tests.unit.matching.test_matching_household_review import _batch
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "12 rue des Lilas", "code_postal": "21000", "commune": "Dijon"}
_CAITLIN = {"nom": "Hislop", "prenom": "Caitlin", "date_naissance": "1946-11-14", **_HOME}
# Her fiche typed again: the first name past close, her birth date and postcode, no street.
_RETYPED = {"nom": "Hislop", "prenom": "Catelin", "date_naissance": "1946-11-14",
            "code_postal": "21000"}
# A fiche of her home: a first name past close, the street line alone (her sister's as
# often as hers).
_STREET_ONLY = {"nom": "Hislop", "prenom": "Catelin", "adresse_ligne": "12 rue des Lilas"}
# Another fiche of the home with neither first name nor birth date.
_NOTHING_PERSONAL = {"nom": "Hislop", **_HOME}


def _online(first: dict[str, str], second: dict[str, str], model: MatchModel) -> tuple[str, str]:
    candidates = [Candidate("p-1", normalise_record(first, "f0"))]
    record = normalise_record(second, "f1")
    return (match_one(record, candidates, model).kind,
            model.pattern_scorer.match_one(record, candidates).kind)


def test_a_first_name_retyped_past_close_counts_where_every_veto_is_lifted(tmp_path):
    """Surname and birth date agreeing (the postcode too), the first name fuzzy: the
    retyped first name counts beside the birth date, online and in batch."""
    model = _typo_heavy()
    explanation = model.score(normalise_record(_RETYPED, "b"), normalise_record(_CAITLIN, "a"))
    assert explanation.level_of("prenom") == "fuzzy"
    assert explanation.probability >= model.decision.link_probability
    prenom = next(t for t in explanation.terms if t.field == "prenom")
    assert retyped_first_name(prenom, model.decision)
    assert has_enough_evidence(explanation, model.decision)
    assert _online(_CAITLIN, _RETYPED, model) == ("link", "link")
    assert _batch((_CAITLIN, _RETYPED), model, tmp_path) == (1, 0)


def test_a_first_name_retyped_past_close_beside_the_home_alone_stays_with_a_coordinator(
        tmp_path):
    """Surname and street line agreeing, the first name fuzzy, nothing of the person's own
    (birth date, e-mail, mobile) agreeing: what a brother and his sister share. Never
    linked, households in the training file or not."""
    for model in (_typo_heavy(), _typo_heavy(0.0)):
        explanation = model.score(normalise_record(_STREET_ONLY, "b"),
                                  normalise_record(_CAITLIN, "a"))
        assert explanation.level_of("prenom") == "fuzzy"
        assert not has_enough_evidence(explanation, model.decision)
        assert "link" not in _online(_CAITLIN, _STREET_ONLY, model)
    assert _online(_CAITLIN, _STREET_ONLY, _typo_heavy()) == ("review", "review")
    assert _batch((_CAITLIN, _STREET_ONLY), _typo_heavy(), tmp_path) == (2, 1)


def test_under_a_veto_the_model_keeps_a_first_name_only_alike_counts_for_nothing():
    model = default_model()
    explanation = model.score(normalise_record(_STREET_ONLY, "b"), normalise_record(_CAITLIN, "a"))
    prenom = next(t for t in explanation.terms if t.field == "prenom")
    assert not retyped_first_name(prenom, model.decision)
    assert not has_enough_evidence(explanation, model.decision)
    assert _online(_CAITLIN, _STREET_ONLY, model)[0] != "link"


def test_neither_first_name_nor_birth_date_stays_with_a_coordinator(tmp_path):
    """Surname, street and town alike, nothing personal compared: as often a sibling as
    the person (measured), so never linked where the file shows households."""
    model = _typo_heavy()
    explanation = model.score(normalise_record(_NOTHING_PERSONAL, "b"),
                              normalise_record(_CAITLIN, "a"))
    assert explanation.probability >= model.decision.link_probability
    assert pair_kind(explanation, model.decision) == "review"
    assert _online(_CAITLIN, _NOTHING_PERSONAL, model) == ("review", "review")
    assert _batch((_CAITLIN, _NOTHING_PERSONAL), model, tmp_path) == (2, 1)
