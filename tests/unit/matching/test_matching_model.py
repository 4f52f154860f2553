"""Fellegi–Sunter: EM estimates m, term frequencies temper common names, the model is a file."""

from __future__ import annotations

import pickle
import random
from collections import Counter

import pytest

from hub.domain.matching import Candidate
from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.model import MatchModel
from hub.domain.matching.settings import TrainingSettings, default_settings
from hub.domain.matching.training import expectation_maximisation, term_frequencies
from tests.unit.matching.matching_factories import hand_model, person

TRUE_M = {"exact": 0.8, "swapped": 0.02, "day_off": 0.03, "close": 0.05, "fuzzy": 0.06,
          "different": 0.04}
TRUE_U = {"exact": 0.05, "swapped": 0.005, "day_off": 0.005, "close": 0.04, "fuzzy": 0.1,
          "different": 0.8}


def _draw(rng, table, levels):
    return rng.choices(levels, [table[level] for level in levels])[0]


def test_em_recovers_m_and_the_match_share_from_unlabelled_pairs():
    comparisons = build_comparisons(default_settings().comparisons)
    rng = random.Random(3)
    patterns: Counter[tuple[str, ...]] = Counter()
    for index in range(20_000):
        table = TRUE_M if index < 6_000 else TRUE_U  # 30 % of candidate pairs are matches
        patterns[tuple(_draw(rng, _pick(table, c.levels), c.levels) for c in comparisons)] += 1
    u_start = {c.field: _pick(TRUE_U, c.levels) for c in comparisons}
    result = expectation_maximisation(
        patterns, comparisons, u_start, TrainingSettings(em_max_iterations=200, em_tolerance=1e-6)
    )
    assert result.converged
    assert result.prior == pytest.approx(0.3, abs=0.03)
    assert result.m["date_naissance"]["exact"] == pytest.approx(0.8, abs=0.04)
    email = next(c for c in comparisons if c.field == "courriel")
    assert result.m["courriel"]["exact"] == pytest.approx(_pick(TRUE_M, email.levels)["exact"],
                                                          abs=0.04)


def _pick(table, levels):
    total = sum(table[level] for level in levels)
    return {level: table[level] / total for level in levels}


def test_common_surname_agreeing_weighs_less_than_a_rare_one():
    model = hand_model(tf={"nom": {"MARTIN": 0.03}})
    common = model.score(person(nom="Martin"), person(nom="MARTIN"))
    rare = model.score(person(nom="Kerguelen"), person(nom="Kerguelen"))
    assert common.total_weight < rare.total_weight
    assert next(t for t in common.terms if t.field == "nom").tf_adjustment < 0
    assert next(t for t in rare.terms if t.field == "nom").tf_adjustment > 0


def test_term_frequencies_keep_only_common_values():
    records = [person(nom="Martin")] * 5 + [person(nom="Kerguelen")]
    tables, floors = term_frequencies(records, ["nom"], min_count=3, max_values=10)
    assert tables["nom"] == {"MARTIN": 5 / 6}
    assert floors["nom"] == pytest.approx(2 / 6)


def test_a_plain_disagreement_never_counts_for_a_match(model):
    model.m["nom"]["different"], model.u["nom"]["different"] = 0.5, 0.01
    explanation = model.score(person(nom="Martin"), person(nom="Petit"))
    assert explanation.terms[[t.field for t in explanation.terms].index("nom")].weight == 0.0


def test_the_explanation_is_a_waterfall_without_personal_values(model):
    left = person(nom="Kerguelen", prenom="Anne", date_naissance="1980-05-12")
    explanation = model.score(left, left)
    total = explanation.prior_weight + sum(t.weight for t in explanation.terms)
    assert explanation.total_weight == pytest.approx(total)
    text = " ".join(explanation.lines_fr()) + str(explanation.to_dict())
    assert "KERGUELEN" not in text.upper().replace("NOM", "") and "1980" not in text
    assert explanation.lines_fr()[0].startswith("a priori")


def test_the_model_file_round_trips_and_refuses_unknown_versions(model):
    again = MatchModel.from_json(model.to_json())
    left, right = person(nom="Martin", prenom="Léa"), person(nom="Martin", prenom="Lea")
    assert again.score(left, right) == model.score(left, right)
    with pytest.raises(ValueError):
        MatchModel.from_json(model.to_json().replace('"version": 1', '"version": 99'))
    with pytest.raises(ValueError):
        MatchModel.from_json('{"format": "other"}')


def test_a_model_that_scored_by_pattern_still_pickles():
    """A process pool pickles the model; the scorer kept with it (memos of bound methods)
    is left out and rebuilt on use."""
    model = hand_model()
    anne = {"nom": "Dupont", "prenom": "Anne", "date_naissance": "1980-05-12",
            "courriel": "anne.dupont@example.org"}
    left = person(**anne)
    candidates = [Candidate("p-1", person(**{**anne, "nom": "Dupond"}, id="y")),
                  Candidate("p-2", person(nom="Martin", prenom="Paul", id="z"))]
    expected = model.pattern_scorer.match_one(left, candidates)
    assert expected.porteur_id == "p-1" and expected.explanation is not None
    copy = pickle.loads(pickle.dumps(model))
    assert copy.pattern_scorer.match_one(left, candidates) == expected
    assert copy.to_json() == model.to_json()
