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


def test_pairs_judged_the_same_update_the_veto_m_among_those_agreeing_on_a_contact():
    """The veto's m is the share of another first name among matches agreeing on a contact
    (`m_veto`): pairs judged the same with the e-mail agreeing and another first name raise
    it, as `refine_m` raises m; pairs with no contact agreeing leave it; enough of them lift
    the veto, as m alone would where the model holds no `m_veto`."""
    model = default_model()
    fields = [c.field for c in model.comparisons]

    def pattern(**levels):
        return tuple(levels.get(f, "missing") for f in fields)

    nickname = pattern(nom="exact", prenom="different", courriel="exact")
    no_contact = pattern(nom="exact", prenom="different", date_naissance="exact")
    assert "prenom" in model.veto_m and "prenom" not in model.decision.lifted_vetoes
    refined = refine_m(model, [nickname] * 40, pseudo_count=20)
    assert refined.veto_m["prenom"] > model.veto_m["prenom"]
    assert refined.veto_m["date_naissance"] == model.veto_m["date_naissance"]  # missing
    assert "prenom" in refined.decision.lifted_vetoes
    assert refine_m(model, [no_contact] * 40).veto_m == model.veto_m
    same = pattern(nom="exact", prenom="exact", courriel="exact", date_naissance="exact")
    assert refine_m(model, [same] * 40).veto_m["prenom"] < model.veto_m["prenom"]


def test_pairs_judged_the_same_with_addresses_differing_update_the_veto_m_as_training_counts_them():
    """A file without contacts takes the veto's m among matches whose addresses differ
    (`household_free_veto_m`): judged pairs of that kind refine it the same way; pairs of
    one address with no contact agreeing (what twins look like) leave it."""
    model = default_model()
    fields = [c.field for c in model.comparisons]

    def pattern(**levels):
        return tuple(levels.get(f, "missing") for f in fields)

    moved = pattern(nom="exact", prenom="different", date_naissance="exact", adresse="different")
    one_address = pattern(nom="exact", prenom="different", date_naissance="exact",
                          adresse="exact")
    refined = refine_m(model, [moved] * 40, pseudo_count=20)
    assert refined.veto_m["prenom"] > model.veto_m["prenom"]
    assert "prenom" in refined.decision.lifted_vetoes
    assert refine_m(model, [one_address] * 40).veto_m == model.veto_m
