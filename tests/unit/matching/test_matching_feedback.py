"""Coordinators' decisions feed back into m; the explanation survives its stored form."""

from __future__ import annotations

from hub.domain.matching.model import Explanation, default_model
from hub.domain.matching.training import refine_m
from tests.unit.matching.matching_factories import hand_model, person


def test_pairs_judged_the_same_raise_m_of_the_levels_they_show():
    model = default_model()
    fields = [c.field for c in model.comparisons]
    agreeing = tuple("exact" if f == "courriel" else "missing" for f in fields)
    refined = refine_m(model, [agreeing] * 40, pseudo_count=20)
    assert refined.m["courriel"]["exact"] > model.m["courriel"]["exact"]
    assert abs(sum(refined.m["courriel"].values()) - 1) < 1e-9
    assert refined.m["nom"] == model.m["nom"]  # missing levels say nothing
    assert refined.training["paires_jugees_memes"] == 40


def test_no_decision_leaves_m_as_it_was():
    model = hand_model()
    assert refine_m(model, []).m == model.m


def test_the_stored_explanation_reads_back_into_the_same_waterfall():
    model = hand_model()
    explanation = model.score(person(nom="Dupont", prenom="Anne"), person(nom="Dupond", prenom="Anne"))
    again = Explanation.from_dict(explanation.to_dict())
    assert [line.split("(")[0] for line in again.lines_fr()] == \
        [line.split("(")[0] for line in explanation.lines_fr()]


def test_the_shipped_model_is_a_trained_versioned_file():
    model = default_model()
    assert model.training["em_converge"] and model.settings.version == 1
