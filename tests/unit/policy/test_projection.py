"""The projection copies allowed fields only; consent narrows what the policy allows."""

from __future__ import annotations

import copy
import json

from hub.domain.projection import (
    AllowedSet,
    ConsentScope,
    allowed_fields,
    changed_fields,
    project,
)
from tests.factories import make_fiche

EVERYONE = ConsentScope(
    purposes=frozenset({"orientation", "accompagnement", "financement", "statistiques"}),
    recipient_roles=frozenset({"accueil", "accompagnement", "financement", "coordination"}),
    version="cst-1:v1",
)


def test_projection_copies_only_the_allowed_fields():
    fiche = make_fiche()
    projected = project(fiche, frozenset({"porteur.nom", "projet.stade"}))
    assert projected == {"porteur": {"nom": "Chassaing"}, "projet": {"stade": "montage"}}


def test_projection_returns_a_new_document_and_leaves_the_fiche_intact():
    fiche = make_fiche()
    before = copy.deepcopy(fiche)
    projected = project(fiche, frozenset({"projet.besoins"}))
    projected["projet"]["besoins"].append("logement")
    assert fiche == before


def test_a_field_a_future_schema_adds_is_never_disclosed(policy):
    fiche = make_fiche()
    fiche["porteur"]["numero_securite_sociale"] = "MARKER-NIR"
    fiche["sante"] = {"handicap": "MARKER-SANTE"}
    fiche["accompagnement"][0]["evaluation"] = "MARKER-EVAL"
    allowed = allowed_fields(policy, "coordination", "accompagnement", EVERYONE, is_referent=True)
    serialised = json.dumps(project(fiche, allowed))
    assert "MARKER" not in serialised
    assert "Chassaing" in serialised


def test_a_leaf_that_became_an_object_is_not_copied():
    fiche = make_fiche()
    fiche["porteur"]["nom"] = {"usage": "Chassaing", "secret": "MARKER"}
    assert project(fiche, frozenset({"porteur.nom"})) == {}


def test_arrays_of_objects_are_projected_item_by_item():
    fiche = make_fiche(accompagnement=[
        {"structure": "cci-thiers", "date": "2026-01-02", "type": "accueil", "notes": "n1"},
        {"structure": "bge-auvergne", "date": "2026-02-03", "type": "diagnostic"},
    ])
    projected = project(fiche, frozenset({"accompagnement[].structure", "accompagnement[].notes"}))
    assert projected == {"accompagnement": [{"structure": "cci-thiers", "notes": "n1"},
                                            {"structure": "bge-auvergne"}]}


def test_items_with_nothing_allowed_are_left_out():
    fiche = make_fiche()
    assert project(fiche, frozenset({"accompagnement[].notes"})) == {}


def test_an_empty_allowed_set_discloses_nothing():
    assert project(make_fiche(), frozenset()) == {}


def test_allowed_is_the_role_policy_intersected_with_the_consent(policy):
    scope = ConsentScope(frozenset({"financement"}), frozenset({"financement"}),
                         excluded_categories=frozenset({"contact"}), version="cst-9:v2")
    allowed = allowed_fields(policy, "financement", "financement", scope, is_referent=False)
    expected = policy.role_policy("financement", "financement").for_anyone - policy.categories[
        "contact"]
    assert allowed == AllowedSet(expected, "2026.1", "financement", "financement", "cst-9:v2")


def test_a_purpose_outside_the_consent_discloses_nothing(policy):
    scope = ConsentScope(frozenset({"orientation"}), frozenset({"financement"}))
    assert allowed_fields(policy, "financement", "financement", scope, False).empty


def test_a_role_outside_the_consent_discloses_nothing(policy):
    scope = ConsentScope(frozenset({"orientation"}), frozenset({"accompagnement"}))
    assert allowed_fields(policy, "accueil", "orientation", scope, False).empty


def test_named_members_restrict_recipients_within_the_roles(policy):
    scope = ConsentScope(frozenset({"financement"}), frozenset({"financement"}),
                         named_members=frozenset({"pfil-haute-loire"}))
    named = allowed_fields(policy, "financement", "financement", scope, False,
                           member="pfil-haute-loire")
    other = allowed_fields(policy, "financement", "financement", scope, False,
                           member="pfil-livradois-forez")
    assert not named.empty
    assert other.empty


def test_no_consent_discloses_nothing(policy):
    assert allowed_fields(policy, "coordination", "orientation", None, True).empty


def test_intersections_are_cached_per_role_purpose_and_consent(policy):
    first = allowed_fields(policy, "accueil", "orientation", EVERYONE, False)
    again = allowed_fields(policy, "accueil", "orientation", EVERYONE, False)
    assert first.paths is again.paths


def test_changed_fields_names_only_what_the_recipient_may_see():
    old = make_fiche()
    new = make_fiche(version=2)
    new["porteur"]["telephone"] = "04 73 00 00 00"
    new["financement"]["pret_honneur"] = 15000
    new["accompagnement"][0]["notes"] = "rendez-vous"
    allowed = frozenset({"porteur.telephone", "accompagnement[].notes", "porteur.nom"})
    assert changed_fields(old, new, allowed) == ["accompagnement[].notes", "porteur.telephone"]


def test_changed_fields_sees_added_and_removed_items():
    old = make_fiche()
    new = make_fiche(accompagnement=[*old["accompagnement"],
                                     {"structure": "bge-auvergne", "date": "2026-11-02",
                                      "type": "diagnostic"}])
    allowed = frozenset({"accompagnement[].structure", "accompagnement[].notes"})
    assert changed_fields(old, new, allowed) == ["accompagnement[].structure"]
    assert changed_fields(new, old, allowed) == ["accompagnement[].structure"]


def test_a_new_version_with_the_same_content_changes_nothing(policy):
    """`version` and `mis_a_jour_le` change with every version: never a change by
    themselves (listed, they told a recipient that a field hidden from it changed)."""
    allowed = allowed_fields(policy, "accompagnement", "accompagnement", EVERYONE, True)
    assert {"version", "mis_a_jour_le"} <= allowed.paths
    later = make_fiche(version=2, mis_a_jour_le="2026-12-01T10:00:00+01:00")
    assert changed_fields(make_fiche(), later, allowed) == []
    later["projet"] = {**later["projet"], "stade": "installe"}
    assert changed_fields(make_fiche(), later, allowed) == ["projet.stade"]
    assert changed_fields(make_fiche(), make_fiche(), allowed) == []


def test_a_consent_naming_no_member_covers_every_member_of_its_roles(policy):
    scope = ConsentScope.from_terms(["orientation"], ["accueil"], members=[], version="c:1")
    assert scope.named_members is None
    assert not allowed_fields(policy, "accueil", "orientation", scope, False, "mairie-ambert").empty
    named = ConsentScope.from_terms(["orientation"], ["accueil"], members=["mairie-thiers"])
    assert allowed_fields(policy, "accueil", "orientation", named, False, "mairie-ambert").empty
